import ChoreoTestSupport
import Foundation

typealias CLIRun = ProcessRun

enum CLI {
    /// The repository root (for its real topics/, contracts/, consumers/).
    static let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `choreo <arguments>` in the repository root.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], timeout: Duration = .seconds(60))
        async throws -> CLIRun
    {
        try await ProcessRun.choreo(arguments, in: repositoryRoot, environment: extra, timeout: timeout)
    }

    /// Runs another program in the repository root.
    static func runProcess(
        _ executable: URL, _ arguments: [String], environment extra: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> CLIRun {
        try await ProcessRun.run(executable, arguments, in: repositoryRoot, environment: extra, timeout: timeout)
    }
}
