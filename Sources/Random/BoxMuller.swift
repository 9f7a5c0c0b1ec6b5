// Vectorised single-precision Box-Muller transform. The logarithm and sine/cosine are Cephes'
// polynomial approximations (relative error about 1e-7, like libm's `logf`/`sinf`) written over
// SIMD4 lanes; they use only IEEE additions and multiplications (no libm calls), so the normals are
// bit-identical on every machine. Every operation is vector-by-vector (constants are splatted
// explicitly) and selects are bit operations: vector-by-scalar operators and SIMD masks make LLVM
// scalarise parts of the chain, which halves the throughput.

/// Turns two words per pair into two standard normals: `radiusBits` gives the radius
/// `sqrt(-2 ln u)` with `u = (bits >> 8 + 1) / 2^24` in (0, 1] (so |z| <= 5.77), and `angleBits`
/// the angle `2 pi angleBits / 2^32`. Returns (r cos(angle), r sin(angle)).
@inline(__always)
func boxMuller(radiusBits: SIMD4<UInt32>, angleBits: SIMD4<UInt32>) -> (SIMD4<Float>, SIMD4<Float>) {
    let u = SIMD4<Float>(SIMD4<Int32>(truncatingIfNeeded: (radiusBits &>> splat(8)) &+ splat(1))) * splat(0x1p-24)
    let radius = squareRoot(splat(-2) * naturalLogarithm(u))

    // Exact range reduction in integers: quadrant = angle rounded to a multiple of pi/2 (mod 4,
    // which the wrap-around of UInt32 provides), remainder in [-pi/4, pi/4).
    let quadrant = (angleBits &+ splat(1 << 29)) &>> splat(30)
    let remainder = SIMD4<Int32>(truncatingIfNeeded: angleBits &- (quadrant &<< splat(30)))
    let (sine, cosine) = sineCosineQuarterPi(SIMD4<Float>(remainder) * splat(2 * Float.pi * 0x1p-32))

    // Rotate by quadrant * pi/2: odd quadrants swap sine and cosine, then signs flip.
    let swap = splat(0) &- (quadrant & splat(1))  // all ones in odd quadrants
    let keep = ~swap
    let sineBits = bits(sine), cosineBits = bits(cosine)
    let cosineSign = ((quadrant &+ splat(1)) & splat(2)) &<< splat(30)  // negative in quadrants 1, 2
    let sineSign = (quadrant & splat(2)) &<< splat(30)  // negative in quadrants 2, 3
    let cosineOfAngle = floats(((cosineBits & keep) | (sineBits & swap)) ^ cosineSign)
    let sineOfAngle = floats(((sineBits & keep) | (cosineBits & swap)) ^ sineSign)
    return (radius * cosineOfAngle, radius * sineOfAngle)
}

/// Square root of non-negative inputs below 2^126: the reciprocal square root from the bit-level
/// first guess refined by three Newton steps (relative error 3% -> 2e-3 -> 5e-6 -> 4e-11, then
/// float rounding), times the input. `Float.squareRoot()` lowers to a libm call on Linux, which
/// cannot be vectorised, and hardware reciprocal estimates differ between CPU vendors.
@inline(__always)
func squareRoot(_ x: SIMD4<Float>) -> SIMD4<Float> {
    var reciprocal = floats(splat(0x5F37_59DF) &- (bits(x) &>> splat(1)))
    let halfX = splat(0.5) * x
    for _ in 0..<3 {
        reciprocal = reciprocal * (splat(1.5) - halfX * reciprocal * reciprocal)
    }
    return x * reciprocal
}

/// Natural logarithm for positive, normal (not subnormal) inputs (Cephes `logf`).
@inline(__always)
func naturalLogarithm(_ x: SIMD4<Float>) -> SIMD4<Float> {
    // x = (1 + m) * 2^e with 1 + m in [sqrt(1/2), sqrt(2)), found with integer operations only
    // (as in musl's logf): offsetting the bits carries mantissas >= sqrt(1/2) into the exponent.
    let offsetBits = bits(x) &+ splat(0x3F80_0000 - 0x3F35_04F3)
    let exponent = SIMD4<Float>(SIMD4<Int32>(truncatingIfNeeded: offsetBits &>> splat(23)) &- splat(127))
    let m = floats((offsetBits & splat(0x007F_FFFF)) &+ splat(0x3F35_04F3)) - splat(1)

    let z = m * m
    var y: SIMD4<Float> = splat(7.037_683_629_2e-2)
    y = y * m + splat(-1.151_461_031_0e-1)
    y = y * m + splat(1.167_699_874_0e-1)
    y = y * m + splat(-1.242_014_084_6e-1)
    y = y * m + splat(1.424_932_278_7e-1)
    y = y * m + splat(-1.666_805_766_5e-1)
    y = y * m + splat(2.000_071_476_5e-1)
    y = y * m + splat(-2.499_999_399_3e-1)
    y = y * m + splat(3.333_333_117_4e-1)
    y = y * m * z
    y = y + exponent * splat(-2.121_944_40e-4)  // ln 2 = 0.693359375 - 2.12194440e-4
    y = y - splat(0.5) * z
    return m + y + exponent * splat(0.693_359_375)
}

/// Sine and cosine on [-pi/4, pi/4] (Cephes `sinf`/`cosf` kernels).
@inline(__always)
func sineCosineQuarterPi(_ x: SIMD4<Float>) -> (SIMD4<Float>, SIMD4<Float>) {
    let z = x * x
    var sine: SIMD4<Float> = splat(-1.951_529_589_1e-4)
    sine = sine * z + splat(8.332_160_873_6e-3)
    sine = sine * z + splat(-1.666_665_461_1e-1)
    sine = sine * z * x + x
    var cosine: SIMD4<Float> = splat(2.443_315_711_809_948e-5)
    cosine = cosine * z + splat(-1.388_731_625_493_765e-3)
    cosine = cosine * z + splat(4.166_664_568_298_827e-2)
    cosine = cosine * z * z - splat(0.5) * z + splat(1)
    return (sine, cosine)
}

@inline(__always) private func splat<Scalar: SIMDScalar>(_ value: Scalar) -> SIMD4<Scalar> { SIMD4(repeating: value) }
@inline(__always) private func bits(_ x: SIMD4<Float>) -> SIMD4<UInt32> { unsafeBitCast(x, to: SIMD4<UInt32>.self) }
@inline(__always) private func floats(_ x: SIMD4<UInt32>) -> SIMD4<Float> { unsafeBitCast(x, to: SIMD4<Float>.self) }
