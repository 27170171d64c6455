import ChoreoTestSupport
import Foundation

/// Runs `choreo` to completion and captures its output.
struct CLIRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    /// The repository root (for its real topics/, contracts/, consumers/).
    static let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(_ arguments: [String], environment extra: [String: String] = [:], timeout: Duration = .seconds(60))
        async throws -> CLIRun
    {
        try await runProcess(try ChoreoBinary.url(), arguments, environment: extra, timeout: timeout)
    }

    static func runProcess(
        _ executable: URL, _ arguments: [String], environment extra: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> CLIRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["CHOREO_LOG_LEVEL"] = "error"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        async let stdout = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        async let stderr = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return CLIRun(
            status: process.terminationStatus, stdout: String(decoding: await stdout, as: UTF8.self),
            stderr: String(decoding: await stderr, as: UTF8.self))
    }
}
