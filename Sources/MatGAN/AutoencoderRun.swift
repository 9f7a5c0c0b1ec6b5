import Datasets
import Distributed
import NeuralNet
import Random
import Training

/// Data-parallel training of MatGAN's autoencoder (docs/matgan.md, "Autoencoder"): the critic's
/// convolution stack plus a Linear to a 128-dim code, the generator's architecture as decoder, and
/// the negative Dice loss over the global batch; or, for `active-ae` (docs/active-design.md,
/// "Autoencoder"), the same networks on 87-row matrices with binary cross-entropy on the decoder's
/// logits. A ``TrainingRun``.
public final class AutoencoderRun: TrainingRun {
    public let configuration: MatGANConfiguration
    public let data: CompositionTrainingSet
    public let encoder: Sequential
    public let decoder: Sequential
    public let optimizer: Adam
    private let batches: EpochBatches
    private let reducer: MPIReducer
    private let lossGradient: FloatBuffer

    /// Builds the networks for this rank's share of the global batch.
    public init(configuration: MatGANConfiguration, data: CompositionTrainingSet, world: Communicator) throws {
        self.configuration = configuration
        self.data = data
        let schedule = try BatchSchedule(rowCount: data.trainingRows.count, globalBatchSize: configuration.batchSize,
                                         rank: world.rank, worldSize: world.size, seed: derivedSeed(configuration.seed, for: .matganBatches))
        (encoder, decoder) = MatGANNetworks.autoencoder(
            configuration.model.variant, rows: configuration.model.encoding.rowCount,
            logits: configuration.model.reconstructionLoss == .binaryCrossEntropy, maxBatch: schedule.localBatchSize)
        // The autoencoder has no cosine decay (--lr-decay is the GANs'), so it needs no planned end.
        optimizer = Adam(parameterCount: encoder.store.parameterCount,
                         learningRate: configuration.learningRateSchedule(configuration.generatorLearningRate, updatesPerStep: 1,
                                                                          plannedSteps: nil),
                         beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon,
                         variant: configuration.adamVariant)
        reducer = MPIReducer(world: world)
        batches = EpochBatches(schedule: schedule, data: data)
        lossGradient = FloatBuffer(count: schedule.localBatchSize * data.cellCount)
        if configuration.synchronizedBatchNorm {
            encoder.synchronizeBatchNorm(over: reducer)
            decoder.synchronizeBatchNorm(over: reducer)
        }
    }

    public var identity: RunIdentity {
        RunIdentity(model: configuration.model.rawValue, seed: configuration.seed, configuration: configuration.json,
                    dataPath: data.path, dataSHA256: data.sha256)
    }

    /// Encoder and decoder share one store.
    public var networks: [(name: String, store: ParameterStore)] { [("autoencoder", encoder.store)] }
    public var optimizers: [(name: String, optimizer: any Optimizer)] { [("autoencoder", optimizer)] }

    public var progress: TrainingProgress {
        TrainingProgress(step: optimizer.stepCount, completedEpochs: batches.completedEpochs, epoch: batches.position)
    }

    public var samplesPerStep: Int { configuration.batchSize }

    public var counters: [String: Int64] { ["epoch": Int64(batches.epoch), "step_in_epoch": Int64(batches.stepInEpoch)] }

    public func restore(counters: [String: Int64]) {
        batches.seek(epoch: Int(counters["epoch", default: 0]), stepInEpoch: Int(counters["step_in_epoch", default: 0]))
    }

    /// The autoencoder ends its layers in ReLU, as the generator.
    public func initializeWeights() {
        MatGANNetworks.initializeGenerator(encoder.store, configuration.initialization, seed: configuration.seed)
    }

    /// One update on the next batch; reports the negative Dice of the global batch, or this
    /// rank's mean binary cross-entropy.
    public func step() throws -> [Metric] {
        let batch = batches.schedule.localBatchSize
        let input = try batches.next()
        encoder.store.zeroGradients()
        let code = try encoder.forward(input, batch: batch, mode: .training)
        let reconstruction = try decoder.forward(code, batch: batch, mode: .training)
        let loss: Float
        switch configuration.model.reconstructionLoss {
        case .binaryCrossEntropy:
            // A per-cell mean over equal local batches: the ranks' mean gradient is the global one.
            loss = Loss.binaryCrossEntropyWithLogits(
                logit: reconstruction, target: input, rows: batch, columns: data.cellCount, gradient: lossGradient.pointer)
            try decoder.backward(outputGradient: lossGradient.pointer, computeInputGradient: true)
            try encoder.backward(outputGradient: decoder.inputGradient)
            try reducer.mean(encoder.store.gradients)
        case .negativeDice:
            // The loss is a function of the global batch's sums: each rank holds its samples' share
            // of the gradient, and the parameter gradient is the sum of the shares.
            loss = try Loss.negativeDice(prediction: reconstruction, target: input, count: batch * data.cellCount,
                                         gradient: lossGradient.pointer, reducer: reducer)
            try decoder.backward(outputGradient: lossGradient.pointer, computeInputGradient: true)
            try encoder.backward(outputGradient: decoder.inputGradient)
            try reducer.sum(encoder.store.gradients)
        }
        optimizer.step(encoder.store)
        return [Metric(configuration.model.reconstructionLoss.rawValue, Double(loss))]
    }
}
