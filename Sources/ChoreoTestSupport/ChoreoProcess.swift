import Foundation

/// A `choreo` child process, for tests that kill or signal it.
public final class ChoreoProcess {
    public let process: Process

    private init(process: Process) { self.process = process }

    /// Starts `choreo <arguments>` with stdout discarded and `CHOREO_LOG_LEVEL=warning`, or the level
    /// `CHOREO_TEST_LOG_LEVEL` names, so a failing test can be rerun with the child's log.
    /// With `standardError`, the child's log goes to that file (created or truncated).
    public static func start(
        _ arguments: [String], environment extra: [String: String] = [:], standardError: URL? = nil
    ) throws -> ChoreoProcess {
        let process = Process()
        process.executableURL = try ChoreoBinary.url()
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CHOREO_LOG_LEVEL"] = environment["CHOREO_TEST_LOG_LEVEL"] ?? "warning"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        if let standardError {
            _ = FileManager.default.createFile(atPath: standardError.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: standardError)
        }
        try process.run()
        return ChoreoProcess(process: process)
    }

    /// Sends `signal` if the process still runs.
    public func kill(signal: Int32 = SIGKILL) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    /// The exit status, or nil when it did not exit within `timeout`.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    deinit { kill() }
}
