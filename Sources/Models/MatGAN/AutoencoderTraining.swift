import Distributed
import Foundation
import Logging
import NeuralNet
import Random

/// Data-parallel training of MatGAN's autoencoder (docs/matgan.md, "Autoencoder"): the critic's
/// convolution stack plus a Linear to a 128-dim code, the generator's architecture as decoder, and
/// the negative Dice loss over the global batch; or, for `active-ae` (docs/active-design.md,
/// "Autoencoder"), the same networks on 87-row matrices with binary cross-entropy on the decoder's
/// logits.
public final class AutoencoderTraining {
    public let configuration: MatGANConfiguration
    public let world: Communicator
    public let data: CompositionTrainingSet
    public let runDirectory: URL
    public let logger: Logger

    public let encoder: Sequential
    public let decoder: Sequential
    public let optimizer: Adam
    private let batches: EpochBatches
    private let parallel: DataParallel
    private let lossGradient: FloatBuffer
    private let replicated: ReplicatedRun

    /// Where checkpoints go.
    public var checkpointPath: String { replicated.checkpointPath }

    /// Builds the networks and either initialises them (rank 0, broadcast) or restores the
    /// run directory's checkpoint. Collective.
    public init(configuration: MatGANConfiguration, dataPath: String, runDirectory: URL, resume: Bool,
                world: Communicator, logger: Logger) throws {
        self.configuration = configuration
        self.world = world
        self.runDirectory = runDirectory
        self.logger = logger
        data = try CompositionTrainingSet(path: dataPath, encoding: configuration.model.encoding)
        let schedule = try BatchSchedule(rowCount: data.trainingRows.count, globalBatchSize: configuration.batchSize,
                                         rank: world.rank, worldSize: world.size, seed: derivedSeed(configuration.seed, label: "batches"))
        (encoder, decoder) = MatGANNetworks.autoencoder(
            configuration.model.variant, rows: configuration.model.encoding.rowCount,
            logits: configuration.model.reconstructionLoss == .binaryCrossEntropy, maxBatch: schedule.localBatchSize)
        optimizer = Adam(parameterCount: encoder.store.parameterCount, learningRate: .constant(configuration.generatorLearningRate),
                         beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon,
                         variant: configuration.adamVariant)
        parallel = DataParallel(world: world)
        batches = EpochBatches(schedule: schedule, data: data)
        lossGradient = FloatBuffer(count: schedule.localBatchSize * data.cellCount)
        if configuration.synchronisedBatchNorm, let hook = parallel.synchronisedBatchNorm {
            for layer in encoder.layers + decoder.layers { (layer as? BatchNorm)?.statisticsHook = hook }
        }
        replicated = ReplicatedRun(
            world: world, configuration: configuration, data: data, networks: [("autoencoder", encoder.store)],
            optimizers: [("autoencoder", optimizer)], checkpointPath: runDirectory.appendingPathComponent("checkpoint.h5").path,
            counterNames: ["epoch", "step_in_epoch"])
        let counters = try replicated.start(resume: resume, logger: logger)
        batches.seek(epoch: Int(counters["epoch"]!), stepInEpoch: Int(counters["step_in_epoch"]!))
    }

    /// Updates done so far.
    public var step: Int { optimizer.stepCount }

    /// One update on the next batch; returns the loss (negative Dice of the global batch, or
    /// this rank's mean binary cross-entropy).
    func trainStep() throws -> Double {
        let batch = batches.schedule.localBatchSize
        let input = try batches.next()
        let store = encoder.store
        store.zeroGradients()
        let code = encoder.forward(input, batch: batch, mode: .training)
        let reconstruction = decoder.forward(code, batch: batch, mode: .training)
        if configuration.model.reconstructionLoss == .binaryCrossEntropy {
            // A per-cell mean over equal local batches: the ranks' mean gradient is the global one.
            let loss = Loss.binaryCrossEntropyWithLogits(
                logit: reconstruction, target: input, rows: batch, columns: data.cellCount, gradient: lossGradient.pointer)
            decoder.backward(outputGradient: lossGradient.pointer, computeInputGradient: true)
            encoder.backward(outputGradient: decoder.inputGradient)
            parallel.gradientAverager(store.gradients)
            optimizer.step(store)
            return Double(loss)
        }
        let world = self.world
        let loss = Loss.negativeDice(
            prediction: reconstruction, target: input, count: batch * data.cellCount, gradient: lossGradient.pointer,
            reduceSums: { sums in
                guard world.size > 1 else { return }
                withUnsafeMutableBytes(of: &sums) { bytes in
                    do {
                        try world.allreduce(bytes.bindMemory(to: Double.self), .sum)
                    } catch {
                        world.abort(message: "Dice sums allreduce failed: \(error)")
                    }
                }
            })
        decoder.backward(outputGradient: lossGradient.pointer, computeInputGradient: true)
        encoder.backward(outputGradient: decoder.inputGradient)
        // Each rank holds its samples' share of the global loss's gradient: the parameter
        // gradient is the sum over ranks, i.e. world size times the mean the averager takes.
        if world.size > 1 {
            let gradients = store.gradients
            let scale = Float(world.size)
            for index in gradients.indices { gradients[index] *= scale }
            parallel.gradientAverager(gradients)
        }
        optimizer.step(store)
        return Double(loss)
    }

    /// Trains until the stop condition or a termination signal, then checkpoints. Collective.
    public func run() throws -> TrainingSummary {
        let loop = TrainingLoop(
            world: world, stop: configuration.stop, logInterval: configuration.logInterval,
            checkpointInterval: configuration.checkpointInterval, samplesPerStep: configuration.batchSize,
            metricsPath: runDirectory.appendingPathComponent("metrics.jsonl").path, logger: logger)
        let summary = try loop.run(
            metricNames: [configuration.model.reconstructionLoss.rawValue],
            progress: { (step, batches.completedEpochs, batches.position) },
            step: { [try trainStep()] },
            checkpoint: writeCheckpoint)
        logger.info("stopped after step \(step): \(summary.stopReason); checkpoint \(checkpointPath)")
        return summary
    }

    /// Averages batch-norm statistics over the ranks, then rank 0 writes the checkpoint. Collective.
    public func writeCheckpoint() throws {
        try replicated.writeCheckpoint(step: step, completedEpochs: batches.completedEpochs, counters: [
            "epoch": Int64(batches.epoch), "step_in_epoch": Int64(batches.stepInEpoch),
        ])
    }
}
