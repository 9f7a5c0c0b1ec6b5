#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time a ``Sequential`` spends in each layer and pass, collected while installed as
/// ``Sequential/profile`` (`bench --profile`). Without one a network pays one branch per layer call.
public final class LayerProfile {
    /// The three passes a layer takes part in.
    public enum Pass: Int, CaseIterable, Sendable {
        case forward, backward, backwardOfBackward

        public var name: String {
            switch self {
            case .forward: "forward"
            case .backward: "backward"
            case .backwardOfBackward: "double backward"
            }
        }
    }

    /// One name per layer: its type and output shape, e.g. `Conv2d 43x8x16`.
    public let layerNames: [String]
    /// Nanoseconds per layer (outer index) and pass (inner, ``Pass/rawValue``).
    public private(set) var nanoseconds: [[UInt64]]

    /// An empty profile for `layers`.
    public init(layers: [any Layer]) {
        layerNames = layers.map { "\(type(of: $0)) \($0.outputShape.map(String.init).joined(separator: "x"))" }
        nanoseconds = Array(repeating: Array(repeating: 0, count: Pass.allCases.count), count: layers.count)
    }

    /// Seconds of `pass` in layer `layer` so far.
    public func seconds(layer: Int, pass: Pass) -> Double { Double(nanoseconds[layer][pass.rawValue]) / 1e9 }

    /// Forgets every time collected so far.
    public func reset() {
        for layer in nanoseconds.indices { nanoseconds[layer] = Array(repeating: 0, count: Pass.allCases.count) }
    }

    /// Runs `body` (one call of layer `layer` in `pass`) and adds its time.
    @inline(__always)
    func time<T>(_ pass: Pass, layer: Int, _ body: () throws -> T) rethrows -> T {
        let start = Self.now()
        defer { nanoseconds[layer][pass.rawValue] &+= Self.now() &- start }
        return try body()
    }

    @inline(__always)
    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
