/// What a seed derived from a run's seed is for: each purpose draws numbers unrelated to every
/// other purpose's, although all come from one user-supplied seed.
///
/// A purpose is hashed into the seed through its ``label``. The labels keep the spelling the
/// first releases gave them (three styles: `batches`, `training noise`, `elpasolite.dqn-episodes`),
/// because changing one would change the numbers a seed produces, and with them every
/// reproduced run and every resumed checkpoint.
public enum SeedPurpose: Sendable, Hashable {
    /// MatGAN's and the autoencoder's epoch order of the training rows.
    case matganBatches
    /// MatGAN's generator noise and gradient-penalty interpolation weights.
    case matganTrainingNoise
    /// The noise of the fixed sample set a MatGAN run evaluates while it trains.
    case matganEvaluationNoise
    /// The noise that re-estimates the batch-norm statistics of MatGAN's averaged generator.
    case matganAverageCalibrationNoise
    /// Each parameter slice's initial weights.
    case weightInitialization(slice: String)
    /// The epoch permutation drawn by ``permutation(count:seed:epoch:)``.
    case permutation
    /// Random compositions for baselines.
    case randomCompositions
    /// ElemNet's initial weights.
    case elemNetInitialization
    /// ElemNet's epoch order of the training rows.
    case elemNetBatches
    /// The random forest's bootstrap samples and feature draws.
    case randomForest
    /// Gradient boosting's row and feature subsampling.
    case gradientBoosting
    /// The hold-out split of a property data set.
    case propertyHoldout
    /// Gaussian-process hyper-parameter fitting.
    case gaussianProcess
    /// Restarts of the Gaussian-process hyper-parameter search.
    case gaussianProcessRestarts
    /// Batch suggestions of Bayesian optimisation.
    case suggestions
    /// The random candidates of one Bayesian-optimisation iteration.
    case candidates(iteration: Int)
    /// The starting rows of an active-design loop.
    case activeStart
    /// The external test rows of an active-design loop.
    case activeTest
    /// The elpasolite training-set-size study's share of the rows.
    case elpasoliteTrainFraction
    /// The elpasolite class-balanced batch draws.
    case elpasoliteBatches
    /// The elpasolite DQN's offline episodes.
    case elpasoliteEpisodes
    /// The elpasolite cGAN's and cVAE's training noise.
    case elpasoliteTrainingNoise

    /// The string hashed into the derived seed.
    public var label: String {
        switch self {
        case .matganBatches: "batches"
        case .matganTrainingNoise: "training noise"
        case .matganEvaluationNoise: "evaluation noise"
        case .matganAverageCalibrationNoise: "average calibration noise"
        case .weightInitialization(let slice): "init." + slice
        case .permutation: "permutation"
        case .randomCompositions: "random-compositions"
        case .elemNetInitialization: "elemnet"
        case .elemNetBatches: "elemnet-batches"
        case .randomForest: "random-forest"
        case .gradientBoosting: "gradient-boosting"
        case .propertyHoldout: "property-holdout"
        case .gaussianProcess: "gp"
        case .gaussianProcessRestarts: "gp-restarts"
        case .suggestions: "suggestions"
        case .candidates(let iteration): "candidates-\(iteration)"
        case .activeStart: "active-start"
        case .activeTest: "active-test"
        case .elpasoliteTrainFraction: "elpasolite.train-fraction"
        case .elpasoliteBatches: "elpasolite.class-balanced-batches"
        case .elpasoliteEpisodes: "elpasolite.dqn-episodes"
        case .elpasoliteTrainingNoise: "elpasolite.training-noise"
        }
    }
}

/// A seed for `purpose` derived from a run's seed, so that purposes sharing stream numbers
/// (epoch permutations, per-sample noise, initialisation) draw unrelated numbers from one
/// user-supplied seed. The purpose's label is hashed with 64-bit FNV-1a and mixed with the
/// SplitMix64 finaliser; the result is stable across platforms and releases.
public func derivedSeed(_ seed: UInt64, for purpose: SeedPurpose) -> UInt64 {
    derivedSeed(seed, label: purpose.label)
}

func derivedSeed(_ seed: UInt64, label: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in label.utf8 {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    var z = seed ^ hash
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A uniformly random permutation of `0 ..< count` for one epoch, identical on every rank that
/// passes the same `seed` and `epoch`: Fisher-Yates (Durstenfeld) driven by stream `epoch` of
/// `derivedSeed(seed, for: .permutation)`.
public func permutation(count: Int, seed: UInt64, epoch: UInt64) -> [Int] {
    precondition(count >= 0, "permutation(count:) needs a non-negative count, got \(count)")
    var stream = RandomStream(seed: derivedSeed(seed, for: .permutation), stream: epoch)
    var order = Array(0..<count)
    order.withUnsafeMutableBufferPointer { order in
        var index = count - 1
        while index > 0 {
            order.swapAt(index, stream.uniformInt(below: index + 1))
            index -= 1
        }
    }
    return order
}
