import ArgumentParser

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
