/// A problem with a property model, its file or its inputs, in words that name the file,
/// formula or argument at fault and what was expected.
public struct PropertyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong and what was expected.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
