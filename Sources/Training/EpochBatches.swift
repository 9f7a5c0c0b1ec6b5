import Chemistry
import Datasets
import NeuralNet

/// This rank's training batches in order, epoch after epoch, as Float matrices.
///
/// At the start of each epoch it reads exactly this rank's rows of the epoch (from the shared
/// per-epoch permutation of ``BatchSchedule``) from the prepared file; each ``next()`` converts
/// one local batch to Float in a buffer allocated once.
public final class EpochBatches {
    public let schedule: BatchSchedule
    public let data: CompositionTrainingSet
    /// The epoch the next batch belongs to.
    public private(set) var epoch: Int
    /// The step within ``epoch`` of the next batch.
    public private(set) var stepInEpoch: Int
    private var epochMatrices: [UInt8] = []
    private var loadedEpoch = -1
    private let batch: FloatBuffer

    /// Batches from the start of epoch 0.
    public init(schedule: BatchSchedule, data: CompositionTrainingSet) {
        self.schedule = schedule
        self.data = data
        epoch = 0
        stepInEpoch = 0
        batch = FloatBuffer(count: schedule.localBatchSize * data.cellCount)
    }

    /// Continues at step `stepInEpoch` of `epoch` (a resumed run).
    public func seek(epoch: Int, stepInEpoch: Int) {
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
    }

    /// Whole epochs consumed.
    public var completedEpochs: Int { stepInEpoch == schedule.stepsPerEpoch ? epoch + 1 : epoch }

    /// Batches consumed since epoch 0, for progress reports.
    public var position: Double { Double(epoch) + Double(stepInEpoch) / Double(schedule.stepsPerEpoch) }

    /// The next local batch (`localBatchSize × 680` Floats, valid until the next call).
    public func next() throws -> UnsafePointer<Float> {
        if stepInEpoch == schedule.stepsPerEpoch {
            epoch += 1
            stepInEpoch = 0
        }
        if loadedEpoch != epoch {
            epochMatrices = try data.readMatrices(schedule.localRows(epoch: epoch), split: PreparedFile.trainSplit)
            loadedEpoch = epoch
        }
        let count = schedule.localBatchSize * data.cellCount
        let start = stepInEpoch * count
        epochMatrices.withUnsafeBufferPointer { bytes in
            for index in 0..<count { batch.pointer[index] = Float(bytes[start + index]) }
        }
        stepInEpoch += 1
        return UnsafePointer(batch.pointer)
    }
}
