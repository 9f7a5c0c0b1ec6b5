import Chemistry
import Distributed

/// A set of tuple indices of the elpasolite space as one bit per tuple: 1,974,024 bits in
/// 30,845 words (241 KiB). Sets from all ranks merge with one bitwise-or allreduce.
public struct TupleBitmap: Sendable, Equatable {
    /// The number of 64-bit words covering the space.
    public static let wordCount = (Elpasolite.tupleCount + 63) / 64

    /// The bits, tuple `i` at bit `i % 64` of word `i / 64`; bits past the space are zero.
    public private(set) var words: [UInt64]

    /// The empty set.
    public init() {
        words = [UInt64](repeating: 0, count: Self.wordCount)
    }

    /// The set of `indices`.
    public init(_ indices: some Sequence<Int>) {
        self.init()
        for index in indices { insert(index) }
    }

    /// Adds tuple `index`; returns whether it was new.
    @discardableResult
    public mutating func insert(_ index: Int) -> Bool {
        precondition(index >= 0 && index < Elpasolite.tupleCount, "tuple index \(index) outside 0..<\(Elpasolite.tupleCount)")
        let mask: UInt64 = 1 << UInt64(index & 63)
        let word = index >> 6
        let isNew = words[word] & mask == 0
        words[word] |= mask
        return isNew
    }

    /// Whether tuple `index` is in the set.
    public func contains(_ index: Int) -> Bool {
        words[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    /// The number of tuples in the set.
    public var count: Int {
        words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// The number of tuples in both sets.
    public func intersectionCount(_ other: TupleBitmap) -> Int {
        var total = 0
        for index in words.indices { total += (words[index] & other.words[index]).nonzeroBitCount }
        return total
    }

    /// Keeps only the tuples also in `other`.
    public mutating func formIntersection(_ other: TupleBitmap) {
        for index in words.indices { words[index] &= other.words[index] }
    }

    /// Removes every tuple of `other`.
    public mutating func subtract(_ other: TupleBitmap) {
        for index in words.indices { words[index] &= ~other.words[index] }
    }

    /// Adds every tuple of `other`.
    public mutating func formUnion(_ other: TupleBitmap) {
        for index in words.indices { words[index] |= other.words[index] }
    }

    /// Replaces this rank's set by the union of every rank's set, with one bitwise-or
    /// allreduce. Collective: every rank must call it.
    public mutating func formUnion(over communicator: Communicator) throws {
        try communicator.allreduce(&words, .bitwiseOr)
    }

    /// Calls `body` with every tuple index in the set, ascending.
    public func forEach(_ body: (Int) -> Void) {
        for (wordIndex, word) in words.enumerated() {
            var rest = word
            while rest != 0 {
                body(wordIndex << 6 | rest.trailingZeroBitCount)
                rest &= rest - 1
            }
        }
    }
}
