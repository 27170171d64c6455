import Foundation
import Logging
import ServiceLifecycle
import Services

/// `choreo service run <name>` child processes, one per service, as one `Service`: started
/// by `run()`, stopped with SIGTERM (then SIGKILL after `stopTimeout`) on graceful shutdown
/// or cancellation. A child that exits by itself fails the group.
final class ChildServices: Service, Sendable {
    let names: [String]
    let environment: [String: String]
    let stopTimeout: Duration
    let logger: Logger

    init(names: [String], environment: [String: String], stopTimeout: Duration = .seconds(20), logger: Logger) {
        self.names = names
        self.environment = environment
        self.stopTimeout = stopTimeout
        self.logger = logger
    }

    func run() async throws {
        var children: [(String, Process)] = []
        do {
            for name in names {
                let process = try ServiceProcess.launch(name, environment: environment)
                children.append((name, process))
                logger.info(
                    "started service process", metadata: ["service": "\(name)", "pid": "\(process.processIdentifier)"])
            }
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                if let (name, process) = children.first(where: { !$0.1.isRunning }) {
                    throw ServiceError(
                        code: .stopped,
                        message: "choreo service run \(name) exited by itself with status \(process.terminationStatus)")
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
