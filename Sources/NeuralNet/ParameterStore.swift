/// What a parameter is for; decides its initial value and how initialisers treat it.
public enum ParameterRole: Sendable, Equatable {
    /// A weight matrix or kernel with the given fan-in and fan-out (initialised by an initialiser;
    /// zero until then).
    case weight(fanIn: Int, fanOut: Int)
    /// An additive bias, initially 0.
    case bias
    /// A multiplicative scale (batch/layer-norm gamma), initially 1.
    case scale
    /// An additive shift (batch/layer-norm beta), initially 0.
    case shift
    /// Non-trainable state in `ParameterStore.buffers` (e.g. batch-norm running averages) with a
    /// fixed initial value.
    case state(initialValue: Float)

    /// The value the store writes when it is sealed (weights stay 0 until initialised).
    var initialValue: Float {
        switch self {
        case .weight, .bias, .shift: 0
        case .scale: 1
        case .state(let value): value
        }
    }
}

/// A named view (offset, shape) into one of a `ParameterStore`'s flat buffers.
public struct ParameterSlice: Sendable, Equatable {
    /// Dotted name, e.g. `critic.conv2.weight`; unique within its store.
    public let name: String
    /// Offset in Floats from the start of the flat buffer.
    public let offset: Int
    /// Shape, e.g. `[3, 3, 16, 32]` for a 3x3 conv kernel (HWIO).
    public let shape: [Int]
    /// What the values are for.
    public let role: ParameterRole
    /// Number of Floats.
    public var count: Int { shape.reduce(1, *) }
    /// `offset ..< offset + count`.
    public var range: Range<Int> { offset ..< offset + count }
}

/// All trainable parameters of a model in ONE contiguous Float32 buffer, their gradients in a
/// second buffer of the same layout, and non-trainable state (batch-norm running averages) in a
/// third. Data parallelism is then one allreduce of `gradients`, and a checkpoint is one dataset
/// per buffer plus the table of slices.
///
/// Two phases: layers call ``addParameter(name:shape:role:)`` / ``addState(name:shape:initialValue:)``
/// while the model is built, then ``seal()`` allocates the buffers and writes initial values
/// (``Sequential`` seals its store). Pointers are valid only after sealing.
public final class ParameterStore {
    /// Trainable slices in the order they were added.
    public private(set) var parameterSlices: [ParameterSlice] = []
    /// State slices (running averages) in the order they were added.
    public private(set) var stateSlices: [ParameterSlice] = []
    /// Number of trainable Floats.
    public private(set) var parameterCount = 0
    /// Number of state Floats.
    public private(set) var stateCount = 0
    /// Whether ``seal()`` has run.
    public private(set) var isSealed = false

    private var parameterStorage: FloatBuffer?
    private var gradientStorage: FloatBuffer?
    private var stateStorage: FloatBuffer?

    /// An empty store; add slices, then seal.
    public init() {}

    /// Reserves a trainable slice. Names must be unique.
    public func addParameter(name: String, shape: [Int], role: ParameterRole) -> ParameterSlice {
        precondition(!isSealed, "ParameterStore: cannot add parameter '\(name)' after sealing")
        precondition(!parameterSlices.contains { $0.name == name }, "ParameterStore: duplicate parameter name '\(name)'")
        let slice = ParameterSlice(name: name, offset: parameterCount, shape: shape, role: role)
        parameterSlices.append(slice)
        parameterCount += slice.count
        return slice
    }

    /// Reserves a non-trainable state slice (in ``buffers``) with a fixed initial value.
    public func addState(name: String, shape: [Int], initialValue: Float) -> ParameterSlice {
        precondition(!isSealed, "ParameterStore: cannot add state '\(name)' after sealing")
        precondition(!stateSlices.contains { $0.name == name }, "ParameterStore: duplicate state name '\(name)'")
        let slice = ParameterSlice(name: name, offset: stateCount, shape: shape, role: .state(initialValue: initialValue))
        stateSlices.append(slice)
        stateCount += slice.count
        return slice
    }

    /// Allocates the three buffers and writes each slice's initial value (weights 0, biases and
    /// shifts 0, scales 1, state as declared). Idempotent.
    public func seal() {
        guard !isSealed else { return }
        isSealed = true
        parameterStorage = FloatBuffer(count: parameterCount)
        gradientStorage = FloatBuffer(count: parameterCount)
        stateStorage = FloatBuffer(count: stateCount)
        resetToInitialValues()
    }

    /// Rewrites every slice's role-defined initial value (weights become 0) and clears gradients.
    public func resetToInitialValues() {
        for slice in parameterSlices {
            parameters[slice.range].initialize(repeating: slice.role.initialValue)
        }
        for slice in stateSlices {
            buffers[slice.range].initialize(repeating: slice.role.initialValue)
        }
        zeroGradients()
    }

    /// All trainable parameters, `parameterCount` Floats.
    public var parameters: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: sealedStorage(parameterStorage)[0 ..< parameterCount])
    }
    /// Gradients, same layout as ``parameters``. Layers accumulate (`+=`) into it.
    public var gradients: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: sealedStorage(gradientStorage)[0 ..< parameterCount])
    }
    /// Non-trainable state (batch-norm running averages), `stateCount` Floats.
    public var buffers: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: sealedStorage(stateStorage)[0 ..< stateCount])
    }

    /// Sets every gradient to 0 (call before each accumulated update).
    public func zeroGradients() {
        gradients.initialize(repeating: 0)
    }

    /// The first parameter of `slice`.
    @inline(__always)
    public func parameter(_ slice: ParameterSlice) -> UnsafeMutablePointer<Float> {
        sealedStorage(parameterStorage).baseAddress! + slice.offset
    }
    /// The first gradient of `slice`.
    @inline(__always)
    public func gradient(_ slice: ParameterSlice) -> UnsafeMutablePointer<Float> {
        sealedStorage(gradientStorage).baseAddress! + slice.offset
    }
    /// The first state value of `slice` (a slice from ``addState(name:shape:initialValue:)``).
    @inline(__always)
    public func state(_ slice: ParameterSlice) -> UnsafeMutablePointer<Float> {
        sealedStorage(stateStorage).baseAddress! + slice.offset
    }

    /// The trainable slice called `name`, if any.
    public func parameterSlice(named name: String) -> ParameterSlice? {
        parameterSlices.first { $0.name == name }
    }

    @inline(__always)
    private func sealedStorage(_ storage: FloatBuffer?) -> UnsafeMutableBufferPointer<Float> {
        guard let storage else { preconditionFailure("ParameterStore: seal() the store before using its buffers") }
        return storage.storage
    }
}
