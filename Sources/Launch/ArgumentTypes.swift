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

/// A wall-clock duration on the command line: `90` or `90s`, `15m`, `2h`, `1h30m`.
struct TimeLimit: ExpressibleByArgument, Equatable {
    let seconds: Double

    init(seconds: Double) {
        self.seconds = seconds
    }

    init?(argument: String) {
        var total = 0.0
        var number = ""
        for character in argument {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number), let unit = ["s": 1.0, "m": 60, "h": 3600][String(character)] else { return nil }
            total += value * unit
            number = ""
        }
        if !number.isEmpty {
            guard let value = Double(number) else { return nil }
            total += value
        }
        guard total > 0, total.isFinite else { return nil }
        seconds = total
    }
}

/// A named file on the command line: `NAME=FILE`.
struct NamedFile: ExpressibleByArgument, Equatable {
    let name: String
    let path: String

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        name = parts[0]
        path = parts[1]
    }
}
