import ArgumentParser
import Foundation
import Property

// List options are parsed with `@Option(transform:)` rather than through a failable
// `init?(argument:)`: only a thrown error reaches ArgumentParser's message, so only this way can
// the message name the bad element besides the option.

/// A comma-separated list option such as `--kappas 0,1,10`: each element is read as an `Element`
/// argument and must pass the option's check. Empty elements (`6,,4`) are skipped.
struct CommaSeparated<Element: ExpressibleByArgument & Sendable>: Sendable {
    let values: [Element]

    init(_ values: [Element]) {
        self.values = values
    }

    /// The transform of a list option whose elements must satisfy `isAccepted`; a rejected
    /// element is reported as not being `expected` (e.g. "a finite number").
    static func parser(expecting expected: String,
                       where isAccepted: @escaping @Sendable (Element) -> Bool) -> @Sendable (String) throws -> Self {
        { argument in
            let values = try argument.split(separator: ",").map { piece in
                let text = piece.trimmingCharacters(in: .whitespaces)
                guard let value = Element(argument: text), isAccepted(value) else {
                    throw ValidationError("'\(text)' is not \(expected)")
                }
                return value
            }
            guard !values.isEmpty else { throw ValidationError("no values; expected a comma-separated list") }
            return Self(values)
        }
    }
}

/// `--hidden-widths`: ElemNet's hidden layer widths as `WIDTH` or `WIDTHxCOUNT` items separated
/// by commas (`1024x4,512x3,32` is 4 layers of 1024, 3 of 512 and one of 32), or `paper`.
struct HiddenWidths: Sendable {
    let widths: [Int]

    /// The transform of `--hidden-widths`.
    @Sendable static func parse(_ spec: String) throws -> Self {
        if spec == "paper" { return Self(widths: ElemNetParameters.paperHiddenWidths) }
        var widths: [Int] = []
        for part in spec.split(separator: ",") {
            let pieces = part.split(separator: "x")
            guard (1...2).contains(pieces.count), let width = Int(pieces[0]), width > 0,
                  let repeats = pieces.count == 2 ? Int(pieces[1]) : 1, repeats > 0 else {
                throw ValidationError("'\(part)' is not WIDTH or WIDTHxCOUNT (positive integers)")
            }
            widths += Array(repeating: width, count: repeats)
        }
        guard !widths.isEmpty else { throw ValidationError("no layers in '\(spec)'") }
        return Self(widths: widths)
    }
}
