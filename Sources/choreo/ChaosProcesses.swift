import Foundation
import Logging
import Synchronization

/// The child processes of a chaos run — one `choreo service run` per service and the
/// dead-letter worker (`choreo dlq worker`): started, killed with SIGKILL and restarted on
/// the injector's word, and restarted (and counted) when one exits by itself.
actor ChaosProcesses {
    private let environment: [String: String]
    /// The `choreo` arguments of each child, by name.
    private let arguments: [String: [String]]
    private let logger: Logger
    private var running: [String: Process] = [:]
    /// Killed on purpose and not restarted yet.
    private var killed: Set<String> = []
    private(set) var kills = 0
    private(set) var restarts = 0
    /// Services whose process exited without being killed, each time it happened.
    private(set) var unexpectedExits: [String] = []

    let names: [String]

    /// `children`: each child's name and `choreo` arguments.
    init(children: [(name: String, arguments: [String])], environment: [String: String], logger: Logger) {
        self.names = children.map(\.name).sorted()
        self.arguments = Dictionary(children.map { ($0.name, $0.arguments) }, uniquingKeysWith: { first, _ in first })
        self.environment = environment
        self.logger = logger
    }

    func startAll() throws {
        for name in names { try start(name) }
    }

    /// The pids of every child running, for `killAllNow` in a signal handler.
    private static let pids = Mutex(Set<Int32>())

    /// SIGKILL to every child started here: the chaos process is being interrupted.
    static func killAllNow() {
        for pid in pids.withLock({ $0 }) { Foundation.kill(pid, SIGKILL) }
    }

    private func start(_ name: String) throws {
        if let current = running[name], current.isRunning { return }
        if let gone = running[name] { _ = Self.pids.withLock { $0.remove(gone.processIdentifier) } }
        let process = try ServiceProcess.launch(
            arguments: arguments[name] ?? ["service", "run", name], environment: environment)
        Self.pids.withLock { _ = $0.insert(process.processIdentifier) }
        running[name] = process
        logger.info("started child process", metadata: ["service": "\(name)", "pid": "\(process.processIdentifier)"])
    }

    /// kill -9 of `preferred`'s process, or of the next running one (by name) when it is
    /// down already; the service killed, or nil when every one is down.
    func kill(preferring preferred: String) async -> String? {
        let order = names.drop { $0 != preferred } + names.prefix { $0 != preferred }
        guard let name = order.first(where: { !killed.contains($0) && running[$0]?.isRunning == true }),
            let process = running[name]
        else { return nil }
        // Marked first: the wait below lets `reviveExited` run, which must not take the
        // kill for an exit by itself.
        killed.insert(name)
        kills += 1
        Foundation.kill(process.processIdentifier, SIGKILL)
        await ServiceProcess.waitForExit(process)
        return name
    }

    /// Starts the service again after a kill.
    func restart(_ name: String) throws {
        guard killed.remove(name) != nil else { return }
        try start(name)
        restarts += 1
    }

    /// Restarts every killed service (the end of the faults).
    func restartAllKilled() throws {
        for name in killed.sorted() { try restart(name) }
    }

    /// Restarts every process that exited without being killed, counting it.
    func reviveExited() throws {
        for (name, process) in running where !killed.contains(name) && !process.isRunning {
            logger.error(
                "service process exited by itself; restarting it",
                metadata: ["service": "\(name)", "status": "\(process.terminationStatus)"])
            unexpectedExits.append("\(name) (status \(process.terminationStatus))")
            try start(name)
        }
    }

    /// SIGTERM to every process, SIGKILL to those still running after `timeout`.
    func stopAll(timeout: Duration = .seconds(20)) async {
        let processes = Array(running.values)
        for process in processes where process.isRunning { Foundation.kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + timeout
        while processes.contains(where: \.isRunning), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for process in processes where process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            await ServiceProcess.waitForExit(process)
        }
        running = [:]
    }
}
