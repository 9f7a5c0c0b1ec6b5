import Random
import XCTest

final class PhiloxTests: XCTestCase {
    /// Random123's `kat_vectors` (philox4x32 10 lines): counter, key -> output.
    func testRandom123KnownAnswers() {
        let cases: [((UInt32, UInt32, UInt32, UInt32), (UInt32, UInt32), SIMD4<UInt32>)] = [
            ((0, 0, 0, 0), (0, 0), [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8]),
            ((.max, .max, .max, .max), (.max, .max), [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD]),
            ((0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), (0xA409_3822, 0x299F_31D0),
             [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1]),
        ]
        for (counter, key, expected) in cases {
            XCTAssertEqual(Philox4x32(key: key).block(counter: counter), expected)
        }
        XCTAssertEqual(Philox4x32(key: 0x299F_31D0_A409_3822), Philox4x32(key: (0xA409_3822, 0x299F_31D0)))
    }

    /// The stream's counter layout: (position low, position high, stream low, stream high).
    func testNextIsTheLowHalfOfTheAddressedBlock() {
        let seed: UInt64 = 0x0123_4567_89AB_CDEF, streamNumber: UInt64 = 0xFEED_0000_BEEF
        let position: UInt64 = 0x1_FFFF_FFFF  // crosses into the high position word next
        var stream = RandomStream(seed: seed, stream: streamNumber, position: position)
        for offset: UInt64 in 0..<3 {
            let p = position + offset
            let block = Philox4x32(key: seed).block(counter: (
                UInt32(truncatingIfNeeded: p), UInt32(truncatingIfNeeded: p >> 32),
                UInt32(truncatingIfNeeded: streamNumber), UInt32(truncatingIfNeeded: streamNumber >> 32)))
            XCTAssertEqual(stream.next(), UInt64(block[0]) | UInt64(block[1]) << 32)
        }
        XCTAssertEqual(stream.position, position + 3)
    }

    /// The vectorised fill must produce exactly the scalar blocks' words in the documented order
    /// (value j = word (j / 4) % 4 of block 4 (j / 16) + j % 4), including across the carry from
    /// the low into the high position word.
    func testFillUniformUsesEveryWordOfConsecutiveBlocks() {
        let seed: UInt64 = 42, streamNumber: UInt64 = 7, start: UInt64 = 0xFFFF_FFFA
        var stream = RandomStream(seed: seed, stream: streamNumber, position: start)
        let values: [Float] = fill(count: 37) { stream.fillUniform($0) }
        XCTAssertEqual(stream.position, start + 12)  // 4 blocks per started group of 16 values
        for (index, value) in values.enumerated() {
            let p = start + UInt64(4 * (index / 16) + index % 4)
            let block = Philox4x32(key: seed).block(counter: (UInt32(truncatingIfNeeded: p), UInt32(p >> 32), 7, 0))
            XCTAssertEqual(value, Float(block[(index / 4) % 4] >> 8) * 0x1p-24, "value \(index)")
        }
    }
}

/// Runs `body` on a fresh buffer of `count` values and returns them.
func fill<T: Numeric>(count: Int, _ body: (UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
    var values = [T](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { body($0) }
    return values
}
