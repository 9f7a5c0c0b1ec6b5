/// A chain of layers with activation and gradient buffers preallocated for `maxBatch` samples:
/// forward, backward, and the exact gradient-penalty pass (double backward) of WGAN-GP.
///
/// The network keeps the output of every layer from the last ``forward(_:batch:mode:)`` and the
/// caller's input pointer, which must stay valid until the matching backward pass. Nothing is
/// allocated after `init` except, once, the backward-pass buffers on the first backward pass
/// (a network used only for generation never allocates them).
public final class Sequential {
    /// Owner of every layer's parameters (sealed by `init`).
    public let store: ParameterStore
    /// The layers, input to output.
    public let layers: [any Layer]
    /// Largest batch any pass may use.
    public let maxBatch: Int

    /// `activations[k]` is the output of `layers[k]`.
    private let activations: [FloatBuffer]
    /// Buffers of the backward passes, allocated by the first one (a network used only for
    /// inference never needs them).
    private lazy var gradientBuffers = GradientBuffers(layers: layers, maxBatch: maxBatch)
    private var lastInput: UnsafePointer<Float>?
    private var lastBatch = 0
    /// When set, every layer call adds its time to it.
    public var profile: LayerProfile?

    /// Chains `layers` (each layer's `outputShape` must match the next's `inputShape` in element
    /// count), allocates its buffers for `maxBatch` samples and seals `store`. All layers sharing
    /// `store` must have been built before the first network over it.
    public init(store: ParameterStore, layers: [any Layer], maxBatch: Int) {
        precondition(!layers.isEmpty, "Sequential: no layers")
        precondition(maxBatch > 0, "Sequential: maxBatch must be positive, got \(maxBatch)")
        for (lower, upper) in zip(layers, layers.dropFirst()) {
            precondition(lower.outputCount == upper.inputCount,
                         "Sequential: layer output \(lower.outputShape) does not fit next input \(upper.inputShape)")
        }
        self.store = store
        self.layers = layers
        self.maxBatch = maxBatch
        store.seal()
        activations = layers.map { FloatBuffer(count: maxBatch * $0.outputCount) }
    }

    /// Per-sample input shape.
    public var inputShape: [Int] { layers[0].inputShape }
    /// Per-sample output shape.
    public var outputShape: [Int] { layers[layers.count - 1].outputShape }
    /// Floats per input sample.
    public var inputCount: Int { layers[0].inputCount }
    /// Floats per output sample.
    public var outputCount: Int { layers[layers.count - 1].outputCount }

    /// Output of the last forward pass, `batch × outputCount` Floats.
    public var output: UnsafeMutablePointer<Float> { activations[activations.count - 1].pointer }
    /// Gradient with respect to the input written by the last backward pass that asked for it.
    public var inputGradient: UnsafeMutablePointer<Float> { gradientBuffers.gradients[0].pointer }

    /// Makes every batch-norm layer sum its statistics over the replicas of `reducer`
    /// (synchronised batch norm), or, with `nil`, normalise each replica's batch on its own.
    public func synchronizeBatchNorm(over reducer: (any Reducer)?) {
        for case let layer as BatchNorm in layers { layer.reducer = reducer }
    }

    /// Re-estimates every batch norm's running averages for the current parameters from
    /// `batches` training-mode forward passes of `batchSize` samples each, `input(pass, buffer)`
    /// filling a pass's input. Each pass weighs the same (pass k folds in with decay k/(k+1)), so
    /// the averages become the mean of the passes' moments, as PyTorch's
    /// `torch.optim.swa_utils.update_bn` does for averaged weights (docs/matgan.md, "Generator
    /// weight averaging"). Parameters and the layers' decays are left as they were.
    public func recalibrateBatchNorm(
        batches: Int, batchSize: Int, input: (Int, UnsafeMutableBufferPointer<Float>) -> Void
    ) throws {
        precondition(batches > 0 && (1 ... maxBatch).contains(batchSize),
                     "recalibrateBatchNorm: \(batches) passes of \(batchSize) with a maximum batch of \(maxBatch)")
        let norms = layers.compactMap { $0 as? BatchNorm }
        guard !norms.isEmpty else { return }
        let decays = norms.map(\.decay)
        defer { for (norm, decay) in zip(norms, decays) { norm.decay = decay } }
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: batchSize * inputCount)
        defer { buffer.deallocate() }
        for pass in 0 ..< batches {
            for norm in norms { norm.decay = Float(pass) / Float(pass + 1) }
            input(pass, buffer)
            try forward(buffer.baseAddress!, batch: batchSize, mode: .training)
        }
    }

    /// Runs all layers on `batch` samples at `x` (which must stay valid until the matching
    /// backward pass) and returns the output buffer (also ``output``).
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, batch: Int, mode: Mode) throws -> UnsafeMutablePointer<Float> {
        precondition(batch > 0 && batch <= maxBatch, "Sequential.forward: batch \(batch) outside 1...\(maxBatch)")
        lastInput = x
        lastBatch = batch
        for k in layers.indices {
            try timed(.forward, k) { try layers[k].forward(input(of: k), activations[k].pointer, batch: batch, mode: mode) }
        }
        return output
    }

    /// Backpropagates `outputGradient` (`batch × outputCount`) through the last forward pass:
    /// adds parameter gradients into `store.gradients` when `accumulateParameterGradients`, and
    /// writes ``inputGradient`` when `computeInputGradient`.
    public func backward(
        outputGradient: UnsafePointer<Float>, computeInputGradient: Bool = false,
        accumulateParameterGradients: Bool = true
    ) throws {
        precondition(lastInput != nil, "Sequential.backward: no forward pass to differentiate")
        let gradients = gradientBuffers.gradients
        var upstream = outputGradient
        for k in layers.indices.reversed() {
            let dx = (k == 0 && !computeInputGradient) ? nil : gradients[k].pointer
            try timed(.backward, k) {
                try layers[k].backward(input: input(of: k), output: activations[k].pointer, outputGradient: upstream,
                                       inputGradient: dx, batch: lastBatch,
                                       accumulateParameterGradients: accumulateParameterGradients)
            }
            if let dx { upstream = UnsafePointer(dx) }
        }
    }

    /// The WGAN-GP gradient penalty of the last forward pass (which must be a training-mode pass
    /// over the interpolates x̂):
    /// `L = weight · mean_i (sqrt(1e-8 + ‖g_i‖²) − 1)²` with `g_i = ∂(Σ_j D(x̂_j))/∂x̂_i`.
    /// Adds the exact `∂L/∂θ` into `store.gradients` (double backward: the backward pass is itself
    /// differentiated, including through batch statistics) and returns `L`. Per-sample norms run
    /// over all input elements; the output must be one value per sample.
    @discardableResult
    public func accumulateGradientPenalty(weight: Float) throws -> Float {
        precondition(outputCount == 1, "Sequential.accumulateGradientPenalty: critic output must be 1 value per sample, got \(outputShape)")
        let batch = lastBatch
        let buffers = gradientBuffers
        let (gradients, inputAdjoints, ones) = (buffers.gradients, buffers.inputAdjoints, buffers.ones)
        // 1. g = ∂ΣD/∂x̂ through an ordinary backward that leaves the parameter gradients alone;
        //    every layer's output gradient stays in `gradients[k + 1]` for step 3.
        try backward(outputGradient: ones.pointer, computeInputGradient: true, accumulateParameterGradients: false)

        // 2. The penalty and its gradient with respect to g.
        let width = inputCount
        let g = gradients[0].pointer
        var gBar = buffers.adjoints.0.pointer
        var next = buffers.adjoints.1.pointer
        var penalty = 0.0
        for i in 0 ..< batch {
            let row = g + i * width
            var squares = 0.0
            for j in 0 ..< width { squares += Double(row[j]) * Double(row[j]) }
            let norm = (1e-8 + squares).squareRoot()
            penalty += (norm - 1) * (norm - 1)
            let scale = Float(Double(weight) / Double(batch) * 2 * (norm - 1) / norm)
            let adjoint = gBar + i * width
            for j in 0 ..< width { adjoint[j] = scale * row[j] }
        }

        // 3. Reverse through the backward pass, input to output: each layer turns the adjoint of
        //    its dx into the adjoint of its dy, adds its θ̄ and, if it has one, records x̄.
        for k in layers.indices {
            let dy = k == layers.count - 1 ? UnsafePointer(ones.pointer) : UnsafePointer(gradients[k + 1].pointer)
            try timed(.backwardOfBackward, k) {
                try layers[k].backwardOfBackward(
                    input: input(of: k), output: activations[k].pointer, outputGradient: dy,
                    inputGradientAdjoint: gBar, outputGradientAdjoint: next,
                    inputAdjoint: inputAdjoints[k]?.pointer, batch: batch)
            }
            swap(&gBar, &next)
        }

        // 4. The x̄ terms are gradients with respect to forward activations: one ordinary backward
        //    from the topmost layer that produced one down to the input.
        if let top = layers.indices.last(where: { inputAdjoints[$0] != nil }), top > 0 {
            var upstream = UnsafePointer(inputAdjoints[top]!.pointer)
            for k in stride(from: top - 1, through: 0, by: -1) {
                let dx = k == 0 ? nil : gradients[k].pointer
                try timed(.backward, k) {
                    try layers[k].backward(input: input(of: k), output: activations[k].pointer, outputGradient: upstream,
                                           inputGradient: dx, batch: batch, accumulateParameterGradients: true)
                }
                guard let dx else { break }
                if let xBar = inputAdjoints[k]?.pointer {
                    for j in 0 ..< batch * layers[k].inputCount { dx[j] += xBar[j] }
                }
                upstream = UnsafePointer(dx)
            }
        }
        return Float(Double(weight) * penalty / Double(batch))
    }

    @inline(__always)
    private func timed(_ pass: LayerProfile.Pass, _ k: Int, _ body: () throws -> Void) throws {
        if let profile { try profile.time(pass, layer: k, body) } else { try body() }
    }

    @inline(__always)
    private func input(of k: Int) -> UnsafePointer<Float> {
        k == 0 ? lastInput! : UnsafePointer(activations[k - 1].pointer)
    }
}

/// The backward-pass buffers of a ``Sequential`` for `maxBatch` samples.
private struct GradientBuffers {
    /// `gradients[k]` is the gradient with respect to the input of `layers[k]`.
    let gradients: [FloatBuffer]
    /// `inputAdjoints[k]`: `xBar` of `layers[k]` (only for layers whose backward depends on `x`).
    let inputAdjoints: [FloatBuffer?]
    /// Ping-pong buffers carrying adjoints of the backward pass during the gradient penalty.
    let adjoints: (FloatBuffer, FloatBuffer)
    /// All ones, `maxBatch × outputCount`: the output gradient of `Σ_i D(x_i)`.
    let ones: FloatBuffer

    init(layers: [any Layer], maxBatch: Int) {
        gradients = layers.map { FloatBuffer(count: maxBatch * $0.inputCount) }
        inputAdjoints = layers.map { $0.backwardDependsOnInput ? FloatBuffer(count: maxBatch * $0.inputCount) : nil }
        let widest = layers.map { Swift.max($0.inputCount, $0.outputCount) }.max()!
        adjoints = (FloatBuffer(count: maxBatch * widest), FloatBuffer(count: maxBatch * widest))
        ones = FloatBuffer(count: maxBatch * layers[layers.count - 1].outputCount)
        ones.storage.initialize(repeating: 1)
    }
}
