/// Appends a per-sample condition vector — typically a one-hot class — to every input sample:
/// `y_i = [x_i, c_i]`, for class-conditional networks (cVAE, cGAN, DQN of docs/elpasolite.md,
/// "Models").
///
/// The condition is data, not an input of the network: it lives in ``conditions`` (filled by the
/// caller before each forward pass, kept until the matching backward), receives no gradient, and
/// the network's input gradient covers `x` only. A critic that starts with this layer therefore
/// gets its WGAN-GP norm over the data features alone, as the penalty requires.
public final class ConcatenateCondition: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var backwardDependsOnInput: Bool { false }
    /// Floats of condition per sample.
    public let conditionCount: Int
    /// `[maxBatch, conditionCount]` condition rows read by ``forward(_:_:batch:mode:)``.
    public let conditions: FloatBuffer
    private let maxBatch: Int

    /// A layer taking `features` values per sample and appending `conditionCount` condition values.
    public init(features: Int, conditionCount: Int, maxBatch: Int) {
        precondition(features > 0 && conditionCount > 0,
                     "ConcatenateCondition: sizes must be positive, got \(features) + \(conditionCount)")
        inputShape = [features]
        outputShape = [features + conditionCount]
        self.conditionCount = conditionCount
        self.maxBatch = maxBatch
        conditions = FloatBuffer(count: maxBatch * conditionCount)
    }

    /// Sets the first `batch` condition rows to one-hot encodings of `classes` (each in
    /// `0 ..< conditionCount`).
    public func setOneHot(classes: UnsafePointer<Int>, batch: Int) {
        precondition(batch <= maxBatch, "ConcatenateCondition.setOneHot: batch \(batch) exceeds \(maxBatch)")
        conditions.pointer.update(repeating: 0, count: batch * conditionCount)
        for i in 0 ..< batch {
            precondition((0 ..< conditionCount).contains(classes[i]),
                         "ConcatenateCondition.setOneHot: class \(classes[i]) of sample \(i) outside 0..<\(conditionCount)")
            conditions.pointer[i * conditionCount + classes[i]] = 1
        }
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws {
        let features = inputShape[0], width = outputShape[0]
        for i in 0 ..< batch {
            (y + i * width).update(from: x + i * features, count: features)
            (y + i * width + features).update(from: conditions.pointer + i * conditionCount, count: conditionCount)
        }
    }

    /// `dx` is the data part of `dy`; the condition columns are dropped.
    public func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws {
        guard let dx else { return }
        let features = inputShape[0], width = outputShape[0]
        for i in 0 ..< batch { (dx + i * features).update(from: dy + i * width, count: features) }
    }

    /// The backward is a fixed linear map, so `dyBar = [dxBar, 0]` (the condition does not move
    /// with x) and there are no parameter or input terms.
    public func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws {
        let features = inputShape[0], width = outputShape[0]
        for i in 0 ..< batch {
            (dyBar + i * width).update(from: dxBar + i * features, count: features)
            (dyBar + i * width + features).update(repeating: 0, count: conditionCount)
        }
    }
}
