import Distributed
import NeuralNet
import Random
import Training

/// Settings of the ElemNet-style network (Jha et al. 2018): dense ReLU layers on the 86
/// element fractions, one linear output, trained with Adam on the mean absolute error of
/// standardised targets (robust to the OQMD outliers, whose squared errors would otherwise
/// dominate every batch that holds one).
public struct ElemNetParameters: Sendable, Equatable {
    /// ElemNet's 16 hidden layers (1024x4, 512x3, 256x3, 128x3, 64x2, 32x1; 17 dense layers with
    /// the output), about 4.5 M parameters.
    public static let paperHiddenWidths = [1024, 1024, 1024, 1024, 512, 512, 512, 256, 256, 256, 128, 128, 128, 64, 64, 32]
    /// The default: the same funnel at half the width and one layer per stage (about 0.5 M
    /// parameters, roughly 9x less compute per epoch), so an OQMD epoch takes seconds on two cores.
    public static let compactHiddenWidths = [512, 512, 256, 256, 128, 64, 32]

    public var hiddenWidths = compactHiddenWidths
    /// Passes over the training rows.
    public var epochs = 20
    /// Global batch, split evenly over the ranks (the last incomplete batch of an epoch is dropped).
    public var batchSize = 256
    public var learningRate = 1e-3
    /// Seed of the initial weights (He normal) and of the epoch permutations.
    public var seed: UInt64 = 0

    public init() {}
}

/// A trained ElemNet-style network: its layer widths, flat parameters and target scaling.
public struct ElemNetWeights: Sendable, Equatable {
    /// Input width (86 element fractions).
    public let inputCount: Int
    public let hiddenWidths: [Int]
    /// The flat parameter buffer of the network ``ElemNet/network(inputCount:hiddenWidths:maxBatch:)`` builds.
    public let parameters: [Float]
    /// Predictions are `targetMean + targetScale * output`.
    public let targetMean: Float
    public let targetScale: Float

    public init(inputCount: Int, hiddenWidths: [Int], parameters: [Float], targetMean: Float, targetScale: Float) throws {
        let expected = ElemNet.parameterCount(inputCount: inputCount, hiddenWidths: hiddenWidths)
        guard parameters.count == expected else {
            throw PropertyError("ElemNet with \(inputCount) inputs and hidden widths \(hiddenWidths) has \(expected) parameters, got \(parameters.count)")
        }
        self.inputCount = inputCount
        self.hiddenWidths = hiddenWidths
        self.parameters = parameters
        self.targetMean = targetMean
        self.targetScale = targetScale
    }

    /// One prediction per row of `features` (``inputCount`` columns), in batches of 1,024.
    public func predict(_ features: FeatureMatrix) throws -> [Float] {
        precondition(features.columnCount == inputCount, "ElemNet.predict: \(features.columnCount) columns, the network needs \(inputCount)")
        let batch = 1024
        let network = ElemNet.network(inputCount: inputCount, hiddenWidths: hiddenWidths, maxBatch: batch)
        _ = network.store.parameters.update(fromContentsOf: parameters)
        var output = [Float](repeating: 0, count: features.rowCount)
        try features.values.withUnsafeBufferPointer { x in
            var start = 0
            while start < features.rowCount {
                let count = min(batch, features.rowCount - start)
                let y = try network.forward(x.baseAddress! + start * inputCount, batch: count, mode: .inference)
                for i in 0..<count { output[start + i] = targetMean + targetScale * y[i] }
                start += count
            }
        }
        return output
    }
}

/// Data-parallel training of ElemNet-style networks.
public enum ElemNet {
    /// The network: `Linear -> ReLU` per hidden width, then `Linear -> 1`; slices `dense0`, `dense1`, ...
    public static func network(inputCount: Int, hiddenWidths: [Int], maxBatch: Int) -> Sequential {
        let store = ParameterStore()
        var layers: [any Layer] = []
        var width = inputCount
        for (index, next) in hiddenWidths.enumerated() {
            layers.append(Linear(store: store, name: "dense\(index)", inputCount: width, outputCount: next))
            layers.append(Activation(.relu, shape: [next]))
            width = next
        }
        layers.append(Linear(store: store, name: "dense\(hiddenWidths.count)", inputCount: width, outputCount: 1))
        return Sequential(store: store, layers: layers, maxBatch: maxBatch)
    }

    /// The number of parameters of ``network(inputCount:hiddenWidths:maxBatch:)``.
    public static func parameterCount(inputCount: Int, hiddenWidths: [Int]) -> Int {
        zip([inputCount] + hiddenWidths, hiddenWidths + [1]).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

    /// Mean absolute error of `count` predictions; writes its gradient `sign(p - t) / count`.
    static func absoluteError(prediction: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int,
                              gradient: UnsafeMutablePointer<Float>) -> Double {
        var sum = 0.0
        let scale = 1 / Float(count)
        for i in 0..<count {
            let difference = prediction[i] - target[i]
            sum += Double(abs(difference))
            gradient[i] = difference > 0 ? scale : (difference < 0 ? -scale : 0)
        }
        return sum / Double(count)
    }

    /// Trains a network; collective over `world` (every rank passes the same data).
    ///
    /// Every rank initialises the same weights from the seed. Each epoch one permutation (seed,
    /// epoch) is cut into global batches; rank r takes every size-th row of a batch, computes the
    /// gradient of its rows' mean absolute error, and one allreduce (mean) of the flat gradient
    /// buffer per update keeps the replicas identical, so the trajectory is the same for any rank
    /// count that divides the batch (up to summation order).
    ///
    /// - Parameter progress: called after each epoch with the epoch (from 1) and its mean training loss
    ///   (standardised units).
    public static func fit(features: FeatureMatrix, targets: [Float], parameters: ElemNetParameters,
                           world: Communicator, progress: ((Int, Double) -> Void)? = nil) throws -> ElemNetWeights {
        try RandomForest.validate(features: features, targets: targets)
        guard !parameters.hiddenWidths.isEmpty, parameters.hiddenWidths.allSatisfy({ $0 > 0 }) else {
            throw PropertyError("ElemNet: hidden widths must be positive, got \(parameters.hiddenWidths)")
        }
        guard parameters.epochs >= 1 else { throw PropertyError("ElemNet: epochs must be at least 1, got \(parameters.epochs)") }
        guard parameters.batchSize >= world.size, parameters.batchSize % world.size == 0 else {
            throw PropertyError("ElemNet: the batch \(parameters.batchSize) must be a multiple of the \(world.size) ranks")
        }
        guard features.rowCount >= parameters.batchSize else {
            throw PropertyError("ElemNet: \(features.rowCount) training rows, fewer than one batch of \(parameters.batchSize)")
        }
        let rowCount = features.rowCount, inputCount = features.columnCount
        let mean = targets.reduce(0.0) { $0 + Double($1) } / Double(rowCount)
        let variance = targets.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(rowCount)
        let scale = variance > 0 ? variance.squareRoot() : 1
        let standardized = targets.map { Float((Double($0) - mean) / scale) }

        let reducer = MPIReducer(world: world)
        let localBatch = parameters.batchSize / world.size
        let network = network(inputCount: inputCount, hiddenWidths: parameters.hiddenWidths, maxBatch: localBatch)
        let store = network.store
        store.initializeWeights(.heNormal(), seed: derivedSeed(parameters.seed, for: .elemNetInitialization))
        let optimizer = Adam(parameterCount: store.parameterCount, learningRate: .constant(Float(parameters.learningRate)))
        let batchInput = FloatBuffer(count: localBatch * inputCount)
        let batchTarget = FloatBuffer(count: localBatch)
        let outputGradient = FloatBuffer(count: localBatch)
        let steps = rowCount / parameters.batchSize
        let permutationSeed = derivedSeed(parameters.seed, for: .elemNetBatches)

        try features.values.withUnsafeBufferPointer { x in
            for epoch in 0..<parameters.epochs {
                let order = permutation(count: rowCount, seed: permutationSeed, epoch: UInt64(epoch))
                var lossSum = 0.0
                for step in 0..<steps {
                    for local in 0..<localBatch {
                        let row = order[step * parameters.batchSize + local * world.size + world.rank]
                        (batchInput.pointer + local * inputCount).update(from: x.baseAddress! + row * inputCount, count: inputCount)
                        batchTarget.pointer[local] = standardized[row]
                    }
                    let prediction = try network.forward(batchInput.pointer, batch: localBatch, mode: .training)
                    let loss = absoluteError(prediction: prediction, target: batchTarget.pointer, count: localBatch,
                                             gradient: outputGradient.pointer)
                    store.zeroGradients()
                    try network.backward(outputGradient: outputGradient.pointer)
                    try reducer.mean(store.gradients)
                    optimizer.step(store)
                    lossSum += loss
                }
                progress?(epoch + 1, try reducer.mean(lossSum / Double(steps)))
            }
        }
        return try ElemNetWeights(inputCount: inputCount, hiddenWidths: parameters.hiddenWidths,
                                  parameters: Array(store.parameters), targetMean: Float(mean), targetScale: Float(scale))
    }
}
