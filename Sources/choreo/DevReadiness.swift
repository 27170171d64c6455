import Foundation
import Operations
import Services

/// Whether the local system is ready for traffic, and the wait for it: every consumer
/// group instance has joined its group (partitions assigned, or legitimately none) and
/// every relay is active or a healthy standby — read from the runtimes in this process and
/// from each child process's `GET /health/ready`.
///
/// The embedded broker (librdkafka 2.0.2's mock cluster) completes the first rebalance of
/// an empty group only 3 s after the first member joined (`rdkafka_mock_cgrp.c`: "First
/// join, low timeout. Same as group.initial.rebalance.delay.ms"): orders sent before that
/// wait in the topics. `dev up`, `bench e2e` and `chaos` (through `DevDriver.seed`) wait
/// here before they seed and send.
struct DevReadiness: Sendable {
    let checks: [ReadinessCheck]

    /// Nothing to wait for.
    static let none = DevReadiness(checks: [])

    /// Polls every check until all pass; returns how long that took.
    /// - Throws: `ServiceError` (`.stopped`) naming each check still failing after `timeout`.
    @discardableResult
    func wait(timeout: Duration, interval: Duration = .milliseconds(50)) async throws -> Duration {
        let start = ContinuousClock.now
        while true {
            let report = await OperationsServer.readiness(checks)
            if report.ready { return .now - start }
            guard ContinuousClock.now - start < timeout else {
                let failing = report.results.filter { !$0.1.ready }.map { name, result in
                    name + (result.detail.map { " (\($0))" } ?? "")
                }
                throw ServiceError(
                    code: .stopped,
                    message:
                        "the system was not ready within \(String(format: "%g", timeout.seconds)) s; not ready: \(failing.joined(separator: "; "))",
                    isRetriable: true)
            }
            try await Task.sleep(for: interval)
        }
    }
}
