/// A seed for one purpose derived from a run's seed, so that purposes sharing stream numbers
/// (epoch permutations, per-sample noise, initialisation) draw unrelated numbers from one
/// user-supplied seed. The label is hashed with 64-bit FNV-1a and mixed with the SplitMix64
/// finaliser; the result is stable across platforms and releases.
public func derivedSeed(_ seed: UInt64, label: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in label.utf8 {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    var z = seed ^ hash
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A uniformly random permutation of `0 ..< count` for one epoch, identical on every rank that
/// passes the same `seed` and `epoch`: Fisher-Yates (Durstenfeld) driven by stream `epoch` of
/// `derivedSeed(seed, label: "permutation")`.
public func permutation(count: Int, seed: UInt64, epoch: UInt64) -> [Int] {
    precondition(count >= 0, "permutation(count:) needs a non-negative count, got \(count)")
    var stream = RandomStream(seed: derivedSeed(seed, label: "permutation"), stream: epoch)
    var order = Array(0..<count)
    order.withUnsafeMutableBufferPointer { order in
        var index = count - 1
        while index > 0 {
            order.swapAt(index, stream.uniformInt(below: index + 1))
            index -= 1
        }
    }
    return order
}
