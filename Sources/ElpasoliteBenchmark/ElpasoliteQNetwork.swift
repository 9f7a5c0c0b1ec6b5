import Chemistry
import NeuralNet
/// The elpasolite as a sequence of decisions for the DQN agent (docs/elpasolite.md, "DQN"): period
/// A, group A, period B, group B, …, group D — 8 decisions; action `a` chooses the value `a + 1`.
///
/// A state is 16 Floats: the 8 representation numbers chosen so far, scaled as in the data by
/// `(2x − 1)/n − 1` (n = 6 for periods, 8 for groups; Chemistry's `Elpasolite.scale(_:levels:)`),
/// with 0 for numbers not chosen yet — never a scaled value, since `(2x − 1)/n = 1` has no
/// integer solution for n = 6 or 8 — followed by a one-hot of the next decision (all zero once all
/// 8 are made). The class goes through the Q network's ``ConcatenateCondition``, so the network's
/// input is 16 + 10 = 26.
public enum ElpasoliteDecisions {
    /// Decisions per episode: a period and a main group per site.
    public static let decisionCount = Elpasolite.vectorLength
    /// Q values per state: one per value index; period decisions allow the first 6, groups all 8.
    public static let actionCount = max(Elpasolite.periodCount, Elpasolite.mainGroupCount)
    /// Floats per encoded state: the scaled values so far, then a one-hot of the next decision.
    public static let stateCount = 2 * decisionCount

    /// Values allowed at decision `step`: 6 periods at even steps, 8 groups at odd steps.
    public static func legalActionCount(step: Int) -> Int {
        precondition((0 ..< decisionCount).contains(step), "ElpasoliteDecisions: step \(step) outside 0..<\(decisionCount)")
        return step % 2 == 0 ? Elpasolite.periodCount : Elpasolite.mainGroupCount
    }

    /// Writes the state after `step` decisions whose scaled numbers are `values[0 ..< step]`.
    public static func encodeState(values: UnsafePointer<Float>, step: Int, into state: UnsafeMutablePointer<Float>) {
        precondition((0 ... decisionCount).contains(step), "ElpasoliteDecisions: step \(step) outside 0...\(decisionCount)")
        state.update(repeating: 0, count: stateCount)
        state.update(from: values, count: step)
        if step < decisionCount { state[decisionCount + step] = 1 }
    }

    /// The number of decisions made in an encoded state (8 for a finished one).
    public static func step(ofState state: UnsafePointer<Float>) -> Int {
        (0 ..< decisionCount).first { state[decisionCount + $0] != 0 } ?? decisionCount
    }
}

/// The Q network of the elpasolite DQN agent: state 16 + class 10 → 5 × (512, LayerNorm,
/// LeakyReLU 0.2) → 8 Q values.
///
/// Parameter count: 26·512 + 512 + 4·(512·512 + 512) + 5·2·512 (norms) + 512·8 + 8 = 1,073,672.
public final class ElpasoliteQNetwork {
    /// Width of the hidden layers.
    public static let hiddenCount = 512
    /// Number of hidden layers.
    public static let hiddenLayerCount = 5
    /// `[state 16]` → `[Q 8]`; its class goes into ``condition``.
    public let network: Sequential
    /// The class input.
    public let condition: ConcatenateCondition

    /// A network for batches of up to `maxBatch`, weights from ``ElpasoliteNetworks/weightInitializer`` and `seed`.
    public init(maxBatch: Int, seed: UInt64) {
        let store = ParameterStore()
        let q = ElpasoliteNetworks.conditionalPerceptron(
            store: store, name: "q", inputCount: ElpasoliteDecisions.stateCount,
            hidden: Array(repeating: Self.hiddenCount, count: Self.hiddenLayerCount), layerNorm: true,
            outputCount: ElpasoliteDecisions.actionCount, output: nil, maxBatch: maxBatch)
        network = Sequential(store: store, layers: q.layers, maxBatch: maxBatch)
        condition = q.condition
        store.initializeWeights(ElpasoliteNetworks.weightInitializer, seed: seed)
    }
}

/// Double-DQN training of the elpasolite agent (docs/elpasolite.md, "DQN"): target
/// `y = r + γ · Q_target(s′, argmax_a Q_online(s′, a))` over the actions legal in s′ (0 when s′ is
/// terminal), Huber (or squared) loss on `Q_online(s, a)`, Adam with PyTorch's default betas, and
/// the target network's flat parameter buffer overwritten by the online one every
/// `targetSyncInterval` updates; rate, γ and interval from an ``ElpasoliteConfiguration``.
public final class ElpasoliteDoubleDQNTrainer {
    /// The network being trained.
    public let online: ElpasoliteQNetwork
    /// The slowly updated copy that evaluates bootstrapped targets.
    public let target: ElpasoliteQNetwork
    /// Transitions per update.
    public let batch: Int
    /// Discount γ.
    public let discount: Float
    /// Updates between target synchronisations.
    public let targetSyncInterval: Int
    /// Penalty on the temporal-difference error.
    public let penalty: Loss.TemporalDifferencePenalty
    /// Adam over the online store.
    public let optimizer: Adam
    /// Averages the online gradients over the data-parallel replicas before each optimizer step.
    public var reducer: any Reducer
    /// Updates applied so far.
    public private(set) var updateCount = 0

    private let targets: FloatBuffer
    private let valueGradient: FloatBuffer

    /// A trainer over two networks for `batch` transitions with `configuration`'s learning rate,
    /// discount and target-synchronisation interval, both networks built from its seed (the
    /// target starts as a copy).
    public init(
        batch: Int, configuration: ElpasoliteConfiguration, penalty: Loss.TemporalDifferencePenalty = .huber,
        reducer: any Reducer = SingleReplica()
    ) {
        precondition(batch > 0, "ElpasoliteDoubleDQNTrainer: batch must be positive, got \(batch)")
        precondition(configuration.targetSyncInterval > 0, "ElpasoliteDoubleDQNTrainer: targetSyncInterval must be positive")
        online = ElpasoliteQNetwork(maxBatch: batch, seed: configuration.seed)
        target = ElpasoliteQNetwork(maxBatch: batch, seed: configuration.seed)
        self.batch = batch
        discount = configuration.discount
        targetSyncInterval = configuration.targetSyncInterval
        self.penalty = penalty
        self.reducer = reducer
        optimizer = Adam(parameterCount: online.network.store.parameterCount, learningRate: .constant(configuration.learningRate))
        targets = FloatBuffer(count: batch)
        valueGradient = FloatBuffer(count: batch * ElpasoliteDecisions.actionCount)
        synchronizeTarget()
    }

    /// Copies the online parameters into the target network.
    public func synchronizeTarget() {
        let source = online.network.store.parameters
        target.network.store.parameters.baseAddress!.update(from: source.baseAddress!, count: source.count)
    }

    /// One update on `batch` transitions (s, a, r, s′) of the given classes: `states` and
    /// `nextStates` are `[batch, 16]` encodings (``ElpasoliteDecisions``), `terminal[i]` marks an
    /// s′ after the last decision. Returns the loss before the update.
    @discardableResult
    public func update(
        states: UnsafePointer<Float>, classes: UnsafePointer<Int>, actions: UnsafePointer<Int>,
        rewards: UnsafePointer<Float>, nextStates: UnsafePointer<Float>, terminal: UnsafePointer<Bool>
    ) throws -> Float {
        let actionCount = ElpasoliteDecisions.actionCount, stateCount = ElpasoliteDecisions.stateCount
        online.condition.setOneHot(classes: classes, batch: batch)
        target.condition.setOneHot(classes: classes, batch: batch)
        let onlineNext = try online.network.forward(nextStates, batch: batch, mode: .inference)
        let targetNext = try target.network.forward(nextStates, batch: batch, mode: .inference)
        for i in 0 ..< batch {
            targets.pointer[i] = rewards[i]
            if terminal[i] { continue }
            let step = ElpasoliteDecisions.step(ofState: nextStates + i * stateCount)
            let row = onlineNext + i * actionCount
            var best = 0
            for a in 1 ..< ElpasoliteDecisions.legalActionCount(step: step) where row[a] > row[best] { best = a }
            targets.pointer[i] += discount * targetNext[i * actionCount + best]
        }
        let values = try online.network.forward(states, batch: batch, mode: .training)
        let loss = Loss.temporalDifference(
            values: values, actions: actions, targets: targets.pointer, batch: batch, actionCount: actionCount,
            penalty: penalty, gradient: valueGradient.pointer)
        let store = online.network.store
        store.zeroGradients()
        try online.network.backward(outputGradient: valueGradient.pointer)
        try reducer.mean(store.gradients)
        optimizer.step(store)
        updateCount += 1
        if updateCount % targetSyncInterval == 0 { synchronizeTarget() }
        return loss
    }
}
