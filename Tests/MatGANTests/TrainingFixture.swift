import Foundation
import TestSupport
import XCTest

/// A scratch directory with a small prepared formula file for end-to-end training tests: 400
/// distinct binaries and ternaries of common elements, counts 1..4, prepared once per fixture.
final class TrainingFixture: @unchecked Sendable {
    // Unchecked: XCTest runs a class's tests one after another; nothing here is shared across threads.
    let work: URL

    init(name: String) {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("matgan-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let elements = ["Li", "Na", "K", "Mg", "Ca", "Sr", "Ba", "Al", "Ti", "Fe", "Cu", "Zn", "O", "S", "F", "Cl", "N", "Se"]
        var formulas: Set<String> = []
        var state: UInt64 = 12345
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33) % bound
        }
        while formulas.count < 400 {
            let count = 2 + next(2)
            let chosen = Set((0..<count).map { _ in elements[next(elements.count)] })
            guard chosen.count == count else { continue }
            formulas.insert(chosen.sorted().map { "\($0)\(1 + next(4))" }.joined())
        }
        let csv = "formula,e_form_ev_per_atom\n" + formulas.sorted().enumerated()
            .map { "\($1),\(-Double($0 % 37) / 10)" }.joined(separator: "\n") + "\n"
        try? Data(csv.utf8).write(to: work.appendingPathComponent("formulas.csv"))
    }

    /// The prepared file (after ``prepare()``).
    var dataPath: String { path("data.h5") }

    /// `name` inside the scratch directory.
    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    /// `train` of MatGAN-MP on the prepared file into `runDirectory` for `steps` steps, batch 8
    /// (or as `batch` says), seed 5, a log line per step, and quality evaluations of 64 samples
    /// (only the final one unless `extra` sets `--eval-every`).
    func trainArguments(_ runDirectory: String, steps: Int, batch: [String] = ["--batch-size", "8"],
                        extra: [String] = []) -> [String] {
        ["train", "--model", "matgan-mp", "--data", dataPath, "--run-dir", path(runDirectory), "--steps", String(steps)]
            + batch + ["--seed", "5", "--log-every", "1", "--eval-samples", "64"] + extra
    }

    /// The records of `RUN-DIR/metrics.jsonl`, each a JSON object; progress records only, or
    /// evaluation records only.
    func metricsRecords(_ runDirectory: String, evaluations: Bool = false) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path(runDirectory + "/metrics.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }.filter { ($0["kind"] as? String == "evaluation") == evaluations }
    }

    /// Prepares the formula list on two ranks, once.
    func prepare() throws {
        guard !FileManager.default.fileExists(atPath: dataPath) else { return }
        try assertSucceeds(["prepare", "--input", path("formulas.csv"), "--output", dataPath, "--seed", "3"], ranks: 2)
    }

    func remove() {
        try? FileManager.default.removeItem(at: work)
    }
}
