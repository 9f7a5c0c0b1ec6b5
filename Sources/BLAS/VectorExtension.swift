import CPUFeatures

/// The x86 vector instruction sets OpenBLAS has kernel sets for, weakest first.
public enum VectorExtension: Int, Comparable, CaseIterable, Sendable {
    case sse3, avx, avx2, avx512

    /// What this processor and its operating system support (cpuid and xgetbv).
    public static let supported = VectorExtension(rawValue: Int(cpu_vector_level())) ?? .sse3

    /// The name users know, e.g. "AVX-512".
    public var name: String {
        switch self {
        case .sse3: "SSE3"
        case .avx: "AVX"
        case .avx2: "AVX2"
        case .avx512: "AVX-512"
        }
    }

    /// The `OPENBLAS_CORETYPE` whose kernels use this instruction set.
    public var openBLASCoreType: String {
        switch self {
        case .sse3: "Prescott"
        case .avx: "Sandybridge"
        case .avx2: "Haswell"
        case .avx512: "SkylakeX"
        }
    }

    /// The instruction set that an OpenBLAS core name's kernels use (as `openblas_get_corename`
    /// spells it); older or unknown cores count as SSE3.
    public init(openBLASCoreName name: String) {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": self = .avx512
        case "haswell", "zen": self = .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": self = .avx
        default: self = .sse3
        }
    }

    /// The next weaker instruction set, nil for the weakest.
    public var weaker: VectorExtension? { VectorExtension(rawValue: rawValue - 1) }

    public static func < (lhs: VectorExtension, rhs: VectorExtension) -> Bool { lhs.rawValue < rhs.rawValue }
}
