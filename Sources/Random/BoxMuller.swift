// Vectorised single-precision Box-Muller transform. The logarithm and sine/cosine are Cephes'
// polynomial approximations (relative error about 1e-7, like libm's `logf`/`sinf`) written over
// SIMD4 lanes so the compiler keeps them in vector registers; they use only IEEE additions,
// multiplications and square roots, so the normals are bit-identical on every machine.

/// Turns two words per pair into two standard normals: `radiusBits` gives the radius
/// `sqrt(-2 ln u)` with `u = (bits >> 8 + 1) / 2^24` in (0, 1] (so |z| <= 5.77), and `angleBits`
/// the angle `2 pi angleBits / 2^32`. Returns (r cos(angle), r sin(angle)).
@inline(__always)
func boxMuller(radiusBits: SIMD4<UInt32>, angleBits: SIMD4<UInt32>) -> (SIMD4<Float>, SIMD4<Float>) {
    let u = SIMD4<Float>(SIMD4<Int32>(truncatingIfNeeded: (radiusBits &>> 8) &+ 1)) * 0x1p-24
    let radius = (-2 * naturalLogarithm(u)).squareRoot()

    // Exact range reduction in integers: quadrant = angle rounded to a multiple of pi/2 (mod 4,
    // which the wrap-around of UInt32 provides), remainder in [-pi/4, pi/4).
    let quadrant = (angleBits &+ (1 << 29)) &>> 30
    let remainder = SIMD4<Int32>(truncatingIfNeeded: angleBits &- (quadrant &<< 30))
    let (sine, cosine) = sineCosineQuarterPi(SIMD4<Float>(remainder) * (2 * Float.pi * 0x1p-32))

    // Rotate by quadrant * pi/2: odd quadrants swap sine and cosine, then flip signs.
    let swap = (quadrant & 1) .!= 0
    let cosineMagnitude = cosine.replacing(with: sine, where: swap)
    let sineMagnitude = sine.replacing(with: cosine, where: swap)
    let cosineSign = ((quadrant &+ 1) & 2) &<< 30  // negative in quadrants 1 and 2
    let sineSign = (quadrant & 2) &<< 30  // negative in quadrants 2 and 3
    let cosineOfAngle = floats(bits(cosineMagnitude) ^ cosineSign)
    let sineOfAngle = floats(bits(sineMagnitude) ^ sineSign)
    return (radius * cosineOfAngle, radius * sineOfAngle)
}

/// Natural logarithm for positive, normal (not subnormal) inputs (Cephes `logf`).
@inline(__always)
func naturalLogarithm(_ x: SIMD4<Float>) -> SIMD4<Float> {
    let xBits = bits(x)
    // x = m * 2^e with m in [0.5, 1); then move m to [sqrt(1/2), sqrt(2)) for a centred series.
    var exponent = SIMD4<Float>(SIMD4<Int32>(truncatingIfNeeded: xBits &>> 23) &- 126)
    var m = floats((xBits & 0x007F_FFFF) | 0x3F00_0000)
    let small = m .< 0.707_106_781_186_547_524
    exponent = exponent.replacing(with: exponent - 1, where: small)
    m = m.replacing(with: m + m, where: small) - 1

    let z = m * m
    var y = SIMD4<Float>(repeating: 7.037_683_629_2e-2)
    y = y * m - 1.151_461_031_0e-1
    y = y * m + 1.167_699_874_0e-1
    y = y * m - 1.242_014_084_6e-1
    y = y * m + 1.424_932_278_7e-1
    y = y * m - 1.666_805_766_5e-1
    y = y * m + 2.000_071_476_5e-1
    y = y * m - 2.499_999_399_3e-1
    y = y * m + 3.333_333_117_4e-1
    y = y * m * z
    y = y + exponent * -2.121_944_40e-4  // ln 2 split into 0.693359375 - 2.12194440e-4
    y = y - 0.5 * z
    return m + y + exponent * 0.693_359_375
}

/// Sine and cosine on [-pi/4, pi/4] (Cephes `sinf`/`cosf` kernels).
@inline(__always)
func sineCosineQuarterPi(_ x: SIMD4<Float>) -> (SIMD4<Float>, SIMD4<Float>) {
    let z = x * x
    var sine = SIMD4<Float>(repeating: -1.951_529_589_1e-4)
    sine = sine * z + 8.332_160_873_6e-3
    sine = sine * z - 1.666_665_461_1e-1
    sine = sine * z * x + x
    var cosine = SIMD4<Float>(repeating: 2.443_315_711_809_948e-5)
    cosine = cosine * z - 1.388_731_625_493_765e-3
    cosine = cosine * z + 4.166_664_568_298_827e-2
    cosine = cosine * z * z - 0.5 * z + 1
    return (sine, cosine)
}

@inline(__always) private func bits(_ x: SIMD4<Float>) -> SIMD4<UInt32> { unsafeBitCast(x, to: SIMD4<UInt32>.self) }
@inline(__always) private func floats(_ x: SIMD4<UInt32>) -> SIMD4<Float> { unsafeBitCast(x, to: SIMD4<Float>.self) }
