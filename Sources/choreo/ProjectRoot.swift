import ArgumentParser
import Foundation

/// The project root holding `topics/`, `contracts/` and `consumers/`.
struct ProjectRoot: Sendable {
    let url: URL

    var topics: URL { url.appending(path: "topics", directoryHint: .isDirectory) }
    var contracts: URL { url.appending(path: "contracts", directoryHint: .isDirectory) }
    var consumers: URL { url.appending(path: "consumers", directoryHint: .isDirectory) }
    /// Where `choreo dev up` and `choreo broker` record what they started.
    var stateFile: URL { url.appending(path: ".choreo/dev-state.json") }
}

/// `--root` (env `CHOREO_ROOT`, default the current directory).
struct RootOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Project root with topics/, contracts/ and consumers/ (env CHOREO_ROOT; default: current directory).")
    var root: String?

    var projectRoot: ProjectRoot {
        let path =
            root ?? ProcessInfo.processInfo.environment["CHOREO_ROOT"] ?? FileManager.default.currentDirectoryPath
        return ProjectRoot(url: URL(filePath: path, directoryHint: .isDirectory))
    }
}
