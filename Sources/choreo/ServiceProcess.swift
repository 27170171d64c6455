import Foundation

/// Starting a child process of this very executable (`choreo service run <name>`, `choreo dlq
/// worker`), with `environment` added to this process's own. Shared by `dev up --processes`
/// and `chaos`.
enum ServiceProcess {
    static func launch(_ name: String, environment: [String: String]) throws -> Process {
        try launch(arguments: ["service", "run", name], environment: environment)
    }

    static func launch(arguments: [String], environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(filePath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        try process.run()
        return process
    }

    /// Waits until `process` has exited, polling, without blocking a thread.
    static func waitForExit(_ process: Process) async {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
