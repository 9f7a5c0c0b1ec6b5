/// Fully connected layer `y = x·W + b`, W stored `[in, out]` so the batch is one GEMM.
public final class Linear: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var backwardDependsOnInput: Bool { false }
    /// `[in, out]` weights.
    public let weight: ParameterSlice
    /// `[out]` biases.
    public let bias: ParameterSlice
    private let store: ParameterStore

    /// A layer from `inputCount` to `outputCount` features whose slices are `name.weight` and
    /// `name.bias`.
    public init(store: ParameterStore, name: String, inputCount: Int, outputCount: Int) {
        precondition(inputCount > 0 && outputCount > 0, "Linear \(name): sizes must be positive")
        self.store = store
        inputShape = [inputCount]
        outputShape = [outputCount]
        weight = store.addParameter(name: "\(name).weight", shape: [inputCount, outputCount],
                                    role: .weight(fanIn: inputCount, fanOut: outputCount))
        bias = store.addParameter(name: "\(name).bias", shape: [outputCount], role: .bias)
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws {
        let (n, m) = (inputShape[0], outputShape[0])
        broadcastRows(store.parameter(bias), rows: batch, columns: m, into: y)
        gemm(m: batch, n: m, k: n, x, lda: n, store.parameter(weight), ldb: m, beta: 1, y, ldc: m)
    }

    public func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws {
        let (n, m) = (inputShape[0], outputShape[0])
        if accumulateParameterGradients {
            gemm(transposeA: true, m: n, n: m, k: batch, x, lda: n, dy, ldb: m, beta: 1, store.gradient(weight), ldc: m)
            addColumnSums(of: dy, rows: batch, columns: m, into: store.gradient(bias))
        }
        if let dx {
            gemm(transposeB: true, m: batch, n: n, k: m, dy, lda: m, store.parameter(weight), ldb: m, beta: 0, dx, ldc: n)
        }
    }

    /// `B(θ, dy) = dy·Wᵀ`, so `dyBar = dxBar·W` and `W̄ += dxBarᵀ·dy`; no dependence on x or b.
    public func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws {
        let (n, m) = (inputShape[0], outputShape[0])
        gemm(m: batch, n: m, k: n, dxBar, lda: n, store.parameter(weight), ldb: m, beta: 0, dyBar, ldc: m)
        gemm(transposeA: true, m: n, n: m, k: batch, dxBar, lda: n, dy, ldb: m, beta: 1, store.gradient(weight), ldc: m)
    }
}
