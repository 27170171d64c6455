import Foundation
import Logging
import ServiceLifecycle
import Services

/// `choreo` child processes — `choreo service run <name>`, one per service, or another
/// command such as a worker — as one `Service`: started by `run()`, stopped with SIGTERM
/// (then SIGKILL after `stopTimeout`) on graceful shutdown or cancellation. A child that
/// exits by itself fails the group.
final class ChildServices: Service, Sendable {
    /// Each child: a name for logs and the `choreo` arguments that run it.
    let children: [(name: String, arguments: [String])]
    let environment: [String: String]
    let stopTimeout: Duration
    let logger: Logger

    init(
        children: [(name: String, arguments: [String])], environment: [String: String],
        stopTimeout: Duration = .seconds(20), logger: Logger
    ) {
        self.children = children
        self.environment = environment
        self.stopTimeout = stopTimeout
        self.logger = logger
    }

    /// `choreo service run <name>` for each of `names`.
    convenience init(names: [String], environment: [String: String], logger: Logger) {
        self.init(children: names.map { ($0, ["service", "run", $0]) }, environment: environment, logger: logger)
    }

    func run() async throws {
        var children: [(String, Process)] = []
        do {
            for (name, arguments) in self.children {
                let process = try ServiceProcess.launch(arguments: arguments, environment: environment)
                children.append((name, process))
                logger.info(
                    "started child process", metadata: ["child": "\(name)", "pid": "\(process.processIdentifier)"])
            }
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                if let (name, process) = children.first(where: { !$0.1.isRunning }) {
                    throw ServiceError(
                        code: .stopped,
                        message: "child process \(name) exited by itself with status \(process.terminationStatus)")
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        } catch is CancellationError {
        } catch {
            await stop(children)
            throw error
        }
        await stop(children)
    }

    /// SIGTERM to every running child, then waits; SIGKILL to those still running after the timeout.
    private func stop(_ children: [(String, Process)]) async {
        for (_, process) in children where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + stopTimeout
        while children.contains(where: { $0.1.isRunning }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for (name, process) in children where process.isRunning {
            logger.warning("service process did not stop in time; killing it", metadata: ["service": "\(name)"])
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }
}
