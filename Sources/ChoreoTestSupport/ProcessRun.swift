import Foundation

/// A finished child process and what it printed.
public struct ProcessRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Runs `choreo <arguments>` to completion (or `timeout`) with `CHOREO_LOG_LEVEL=error`.
    public static func choreo(
        _ arguments: [String], in directory: URL? = nil, environment extra: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> ProcessRun {
        try await run(try ChoreoBinary.url(), arguments, in: directory, environment: extra, timeout: timeout)
    }

    /// Runs `executable` to completion, terminating it after `timeout`, and captures both outputs.
    public static func run(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil, environment extra: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> ProcessRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["CHOREO_LOG_LEVEL"] = "error"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe, each on a
        // thread of its own: a blocking read on the cooperative pool (two threads on two
        // cores) starved every other test's tasks for as long as the child ran.
        async let stdout = Self.readToEnd(out.fileHandleForReading)
        async let stderr = Self.readToEnd(err.fileHandleForReading)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return ProcessRun(
            status: process.terminationStatus, stdout: String(decoding: await stdout, as: UTF8.self),
            stderr: String(decoding: await stderr, as: UTF8.self))
    }

    /// Reads `handle` to its end on a dedicated thread, never on the cooperative pool.
    static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }
}
