/// A zero-initialised Float32 buffer owned by a layer or network, allocated once and freed on
/// deinit. Hot paths use `pointer` directly; nothing here allocates after construction.
public final class FloatBuffer {
    /// The storage, `count` Floats.
    public let storage: UnsafeMutableBufferPointer<Float>

    /// Allocates `count` zeros (at least one element, so `pointer` is always valid).
    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer: negative count \(count)")
        storage = .allocate(capacity: Swift.max(count, 1))
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    /// Number of Floats.
    public var count: Int { storage.count }
    /// Base address.
    public var pointer: UnsafeMutablePointer<Float> { storage.baseAddress! }
}
