import Foundation

/// The published data sets for tests: `$MATGAN_DATA`, else `../shared/data` beside the checkout,
/// else the checkout's `datasets/` (gzip copies that every clone has), as `matgan-dist` resolves them.
public enum TestData {
    /// The package checkout this file belongs to.
    public static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The data directory.
    public static var directory: URL {
        if let environment = ProcessInfo.processInfo.environment["MATGAN_DATA"], !environment.isEmpty {
            return URL(fileURLWithPath: environment)
        }
        let shared = checkout.deletingLastPathComponent().appendingPathComponent("shared/data")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: shared.path, isDirectory: &isDirectory), isDirectory.boolValue { return shared }
        return checkout.appendingPathComponent("datasets")
    }

    /// The path of data file `name` (e.g. "mp_band_gap_matbench.csv"); it may exist only as
    /// `name.gz`, which `DataFile.read` reads.
    public static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}
