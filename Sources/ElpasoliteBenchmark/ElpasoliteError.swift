/// A failure of the elpasolite benchmark code, with a message naming the file, line, argument
/// or object concerned and what was expected.
public struct ElpasoliteError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
