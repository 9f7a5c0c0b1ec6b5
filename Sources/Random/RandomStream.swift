import Foundation

/// A reproducible stream of random numbers addressed by `(seed, stream, position)`.
///
/// Block `position` of stream `stream` is `Philox4x32(key: seed).block(counter: (position low,
/// position high, stream low, stream high))`: 128 bits that depend on nothing else. Each call
/// consumes whole blocks and advances `position`, so saving `position` saves the full state, and
/// any value can be produced directly by starting a stream at its block.
///
/// Consumption (a fill of `n` values always starts at a fresh block):
/// - `fillUniform`/`fillNormal` of `Float`: groups of 16 values from 4 blocks, `4 * ceil(n / 16)`
///   blocks; value `j` comes from block `position + 4 * (j / 16) + j % 4`, so value `j` of a fill
///   is the same whether one fill or several fills of multiples of 16 values produce it.
/// - `Double` fills: 2 values per block, `ceil(n / 2)` blocks.
/// - `next()` and `uniformDouble()`: one block per call (the upper 64 bits are discarded);
///   `uniformInt(below:)`: one block per attempt (a retry happens with probability < n / 2^64).
///
/// Addressing random numbers independently of how work is split:
/// - One stream per item: `RandomStream(seed: seed, stream: UInt64(sampleIndex))` then
///   `fillNormal` of that sample's 128 values. Any rank or thread computing sample `i` draws the
///   same numbers.
/// - Or one stream, block-addressed: items of `k` values (k a multiple of 16) start at
///   `position: UInt64(i * k / 4)`.
/// Use different seeds (see `derivedSeed(_:for:)`) for unrelated purposes sharing stream numbers.
public struct RandomStream: Sendable, RandomNumberGenerator {
    /// The Philox key: the seed.
    public let seed: UInt64
    /// The stream number: the high 64 bits of every counter.
    public let stream: UInt64
    /// The index of the next 128-bit block this stream will use.
    public var position: UInt64

    private let generator: Philox4x32

    /// Creates the stream `stream` of `seed`, starting at block `position`.
    public init(seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.position = position
        generator = Philox4x32(key: seed)
    }

    // MARK: - Raw bits

    /// The next block's low 64 bits (word 0 low, word 1 high). Consumes one block.
    public mutating func next() -> UInt64 {
        let block = nextBlock()
        return UInt64(block.0) | UInt64(block.1) << 32
    }

    /// A uniform integer in `0 ..< upperBound` without modulo bias (Lemire's multiply-and-reject
    /// method, "Fast random integer generation in an interval", 2019).
    public mutating func uniformInt(below upperBound: UInt64) -> UInt64 {
        precondition(upperBound > 0, "uniformInt(below:) needs a positive upper bound, got 0")
        var product = next().multipliedFullWidth(by: upperBound)
        if product.low < upperBound {
            let threshold = (0 &- upperBound) % upperBound  // 2^64 mod upperBound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: upperBound)
            }
        }
        return product.high
    }

    /// A uniform integer in `0 ..< upperBound` without modulo bias.
    public mutating func uniformInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "uniformInt(below:) needs a positive upper bound, got \(upperBound)")
        return Int(uniformInt(below: UInt64(upperBound)))
    }

    /// A uniform `Double` in [0, 1) with 53 random bits. Consumes one block.
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    // MARK: - Single precision

    /// Fills `buffer` with uniform values in `range`: `lower + (upper - lower) * u` with
    /// `u = k / 2^24`, `k` uniform in `0 ..< 2^24`. `u` never reaches 1, but rounding of the
    /// affine map can return `upper` itself, so the range is closed.
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, in range: ClosedRange<Float> = 0...1) {
        let lower = range.lowerBound, scale = (range.upperBound - range.lowerBound) * 0x1p-24
        fillFloats(buffer) { words in
            let (u0, u1, u2, u3) = (toFloat(words.0), toFloat(words.1), toFloat(words.2), toFloat(words.3))
            return (u0 * scale + lower, u1 * scale + lower, u2 * scale + lower, u3 * scale + lower)
        }
        @inline(__always) func toFloat(_ word: SIMD4<UInt32>) -> SIMD4<Float> {
            SIMD4<Float>(SIMD4<Int32>(truncatingIfNeeded: word &>> 8))
        }
    }

    /// Fills `buffer` with normal values by the Box-Muller transform: in each group of 16 values
    /// from 4 blocks, values 0-3 are `r cos(angle)` and 4-7 are `r sin(angle)` with the radius
    /// from word 0 and the angle from word 1 of each block; values 8-15 likewise from words 2, 3. The radius comes from a 24-bit uniform in
    /// (0, 1], so the standard normals are bounded by 5.77 (probability of |z| > 5.77 is 8e-9).
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, standardDeviation: Float = 1) {
        fillFloats(buffer) { words in
            let (z0, z1) = boxMuller(radiusBits: words.0, angleBits: words.1)
            let (z2, z3) = boxMuller(radiusBits: words.2, angleBits: words.3)
            return (z0 * standardDeviation + mean, z1 * standardDeviation + mean,
                    z2 * standardDeviation + mean, z3 * standardDeviation + mean)
        }
    }

    /// Runs Philox on groups of four consecutive blocks (one per SIMD lane) and stores the four
    /// vectors `transform` makes of word 0, 1, 2, 3 of those blocks one after another: value `j`
    /// of a fill comes from word `(j / 4) % 4` of block `position + 4 * (j / 16) + j % 4`. Whole
    /// vector stores keep the arithmetic in vector registers (per-lane stores get it scalarised).
    @inline(__always)
    private mutating func fillFloats(
        _ buffer: UnsafeMutableBufferPointer<Float>,
        _ transform: ((SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>))
            -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)
    ) {
        guard let base = buffer.baseAddress else { return }
        let count = buffer.count
        let streamLow = SIMD4<UInt32>(repeating: UInt32(truncatingIfNeeded: stream))
        let streamHigh = SIMD4<UInt32>(repeating: UInt32(truncatingIfNeeded: stream >> 32))
        var offset = 0
        while offset < count {
            let positions = SIMD4<UInt64>(repeating: position) &+ SIMD4(0, 1, 2, 3)
            let words = philox4x32Rounds(
                (SIMD4<UInt32>(truncatingIfNeeded: positions), SIMD4<UInt32>(truncatingIfNeeded: positions &>> 32),
                 streamLow, streamHigh),
                key0: generator.key0, key1: generator.key1)
            let values = transform(words)
            position &+= 4
            if count - offset >= 16 {
                let out = UnsafeMutableRawPointer(base + offset)
                out.storeBytes(of: values.0, toByteOffset: 0, as: SIMD4<Float>.self)
                out.storeBytes(of: values.1, toByteOffset: 16, as: SIMD4<Float>.self)
                out.storeBytes(of: values.2, toByteOffset: 32, as: SIMD4<Float>.self)
                out.storeBytes(of: values.3, toByteOffset: 48, as: SIMD4<Float>.self)
                offset += 16
            } else {
                withUnsafeBytes(of: values) { group in
                    for index in offset..<count { base[index] = group.load(fromByteOffset: 4 * (index - offset), as: Float.self) }
                }
                offset = count
            }
        }
    }

    // MARK: - Double precision

    /// Fills `buffer` with uniform values in `range`: `lower + (upper - lower) * u` with
    /// `u = k / 2^53`, `k` uniform in `0 ..< 2^53` (64-bit halves of a block, shifted right by 11).
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Double>, in range: ClosedRange<Double> = 0...1) {
        let lower = range.lowerBound, scale = (range.upperBound - range.lowerBound) * 0x1p-53
        fillDoubles(buffer) { low, high in
            (Double(low >> 11) * scale + lower, Double(high >> 11) * scale + lower)
        }
    }

    /// Fills `buffer` with normal values by the Box-Muller transform, one pair per block: the low
    /// 64 bits give the radius from a 53-bit uniform in (0, 1] (|z| <= 8.57), the high 64 bits the
    /// angle. Uses the platform's `log`, `cos` and `sin`.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Double>, mean: Double = 0, standardDeviation: Double = 1) {
        fillDoubles(buffer) { low, high in
            let radius = (-2 * log(Double((low >> 11) + 1) * 0x1p-53)).squareRoot() * standardDeviation
            let angle = 2 * Double.pi * Double(high >> 11) * 0x1p-53
            return (radius * cos(angle) + mean, radius * sin(angle) + mean)
        }
    }

    /// Stores the two values `transform` makes of each block's 64-bit halves at `2 * b` and `2 * b + 1`.
    @inline(__always)
    private mutating func fillDoubles(_ buffer: UnsafeMutableBufferPointer<Double>, _ transform: (UInt64, UInt64) -> (Double, Double)) {
        var index = 0
        while index < buffer.count {
            let block = nextBlock()
            let values = transform(UInt64(block.0) | UInt64(block.1) << 32, UInt64(block.2) | UInt64(block.3) << 32)
            buffer[index] = values.0
            if index + 1 < buffer.count { buffer[index + 1] = values.1 }
            index += 2
        }
    }

    /// The block at `position`; advances `position` by one.
    @inline(__always)
    private mutating func nextBlock() -> (UInt32, UInt32, UInt32, UInt32) {
        let counter = (UInt32(truncatingIfNeeded: position), UInt32(truncatingIfNeeded: position >> 32),
                       UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
        position &+= 1
        return philox4x32Rounds(counter, key0: generator.key0, key1: generator.key1)
    }
}
