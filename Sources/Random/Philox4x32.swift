/// The Philox4x32-10 block function of Salmon, Moraes, Dror and Shaw, "Parallel random numbers:
/// as easy as 1, 2, 3" (SC 2011), bit-identical to Random123's `philox4x32_R(10, ...)` and
/// cuRAND's Philox: a keyed bijection from a 128-bit counter to 128 random bits.
///
/// Every output block is a pure function of (key, counter), so any position of any stream can be
/// computed directly, without generating what comes before it.
public struct Philox4x32: Sendable, Hashable {
    /// Key word 0 (the low 32 bits of a 64-bit key).
    public let key0: UInt32
    /// Key word 1 (the high 32 bits of a 64-bit key).
    public let key1: UInt32

    /// Creates the block function for a key given as (low word, high word).
    public init(key: (UInt32, UInt32)) {
        key0 = key.0
        key1 = key.1
    }

    /// Creates the block function for a 64-bit key; the low 32 bits are key word 0.
    public init(key: UInt64) {
        self.init(key: (UInt32(truncatingIfNeeded: key), UInt32(truncatingIfNeeded: key >> 32)))
    }

    /// The 128 random bits (four words) for one counter value, words in Random123's order.
    public func block(counter: (UInt32, UInt32, UInt32, UInt32)) -> SIMD4<UInt32> {
        let out = philox4x32Rounds(counter, key0: key0, key1: key1)
        return SIMD4(out.0, out.1, out.2, out.3)
    }
}

/// A lane type the Philox rounds run on: one block (`UInt32`) or several blocks at once, one per
/// SIMD lane (`SIMD4<UInt32>`), so the scalar and the vectorised generators share one definition.
protocol PhiloxLane {
    init(broadcasting word: UInt32)
    static func ^ (lhs: Self, rhs: Self) -> Self
    /// The high and low 32 bits of the 64-bit product `multiplier * word`.
    static func multiplyHighLow(_ multiplier: UInt32, _ word: Self) -> (high: Self, low: Self)
}

extension UInt32: PhiloxLane {
    @inline(__always)
    init(broadcasting word: UInt32) { self = word }

    @inline(__always)
    static func multiplyHighLow(_ multiplier: UInt32, _ word: UInt32) -> (high: UInt32, low: UInt32) {
        let product = UInt64(multiplier) &* UInt64(word)
        return (UInt32(truncatingIfNeeded: product >> 32), UInt32(truncatingIfNeeded: product))
    }
}

extension SIMD4: PhiloxLane where Scalar == UInt32 {
    @inline(__always)
    init(broadcasting word: UInt32) { self.init(repeating: word) }

    @inline(__always)
    static func multiplyHighLow(_ multiplier: UInt32, _ word: SIMD4<UInt32>) -> (high: SIMD4<UInt32>, low: SIMD4<UInt32>) {
        // Widening both operands lets LLVM emit pmuludq (32 x 32 -> 64 bits per lane).
        let product = SIMD4<UInt64>(truncatingIfNeeded: word) &* SIMD4<UInt64>(repeating: UInt64(multiplier))
        return (SIMD4<UInt32>(truncatingIfNeeded: product &>> 32), SIMD4<UInt32>(truncatingIfNeeded: product))
    }
}

/// Ten Philox rounds with the key schedule of Random123 (the key is bumped between rounds).
@inline(__always)
func philox4x32Rounds<Lane: PhiloxLane>(
    _ counter: (Lane, Lane, Lane, Lane), key0: UInt32, key1: UInt32
) -> (Lane, Lane, Lane, Lane) {
    let multiplier0: UInt32 = 0xD251_1F53, multiplier1: UInt32 = 0xCD9E_8D57
    let weyl0: UInt32 = 0x9E37_79B9, weyl1: UInt32 = 0xBB67_AE85  // golden ratio, sqrt(3) - 1
    var c = counter
    var k0 = key0, k1 = key1
    for round in 0..<10 {
        if round > 0 {
            k0 &+= weyl0
            k1 &+= weyl1
        }
        let p0 = Lane.multiplyHighLow(multiplier0, c.0)
        let p1 = Lane.multiplyHighLow(multiplier1, c.2)
        c = (p1.high ^ c.1 ^ Lane(broadcasting: k0), p1.low, p0.high ^ c.3 ^ Lane(broadcasting: k1), p0.low)
    }
    return c
}
