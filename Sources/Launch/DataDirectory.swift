import ArgumentParser
import Foundation

/// Where the published data sets live: `--data-dir`, else `$MATGAN_DATA`, else
/// `../shared/data` beside the package checkout, else the checkout's own `datasets/` (the same
/// files, gzip-compressed; `DataFile.read` decompresses them).
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "Directory holding the data CSVs (default: $MATGAN_DATA, else ../shared/data beside the checkout, else the checkout's datasets/).",
        valueName: "dir"))
    var dataDirectory: String?

    /// The data directory, or an error listing every place that was tried.
    func resolve() throws -> URL {
        var tried: [String] = []
        if let dataDirectory {
            let url = URL(fileURLWithPath: dataDirectory)
            if DataOptions.isDirectory(url) { return url }
            throw ValidationError("--data-dir \(dataDirectory): no such directory")
        }
        if let environment = ProcessInfo.processInfo.environment["MATGAN_DATA"], !environment.isEmpty {
            let url = URL(fileURLWithPath: environment)
            if DataOptions.isDirectory(url) { return url }
            // A data directory the user named but mistyped is an error, not a cue to look elsewhere.
            throw ValidationError("$MATGAN_DATA=\(environment): no such directory")
        }
        tried.append("$MATGAN_DATA (not set)")
        let roots = DataOptions.packageRootCandidates()
        for root in roots {
            let url = root.deletingLastPathComponent().appendingPathComponent("shared/data").standardizedFileURL
            if DataOptions.isDirectory(url) { return url }
            tried.append("\(url.path) (beside the checkout \(root.path))")
        }
        for root in roots {
            let url = root.appendingPathComponent("datasets")
            if DataOptions.isDirectory(url) { return url }
            tried.append("\(url.path) (the checkout's own copies)")
        }
        if roots.isEmpty { tried.append("../shared/data and datasets/ (no package checkout found above the binary or the working directory)") }
        throw ValidationError("""
            no data directory found; tried:
              \(tried.joined(separator: "\n  "))
            Pass --data-dir DIR or set MATGAN_DATA.
            """)
    }

    /// Checkouts of this package above the executable and above the working directory.
    private static func packageRootCandidates() -> [URL] {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let starts = [executable.deletingLastPathComponent(),
                      URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var roots: [URL] = []
        for start in starts {
            var directory = start.standardizedFileURL
            while directory.path != "/" {
                if isPackageRoot(directory) {
                    if !roots.contains(directory) { roots.append(directory) }
                    break
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        return roots
    }

    private static func isPackageRoot(_ directory: URL) -> Bool {
        guard let manifest = try? String(contentsOf: directory.appendingPathComponent("Package.swift"), encoding: .utf8)
        else { return false }
        return manifest.contains("\"matgan-dist\"")
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
