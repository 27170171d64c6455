import ChoreoTestSupport
import Foundation
import Outbox
import Postgres
import Testing

/// Restarts the local PostgreSQL server, so it runs alone: `scripts/test.sh` runs it after
/// the rest of the suite with `CHOREO_TEST_PG_RESTART=1`.
@Suite(
    "Relay across a PostgreSQL restart",
    .enabled(if: ProcessInfo.processInfo.environment["CHOREO_TEST_PG_RESTART"] == "1", "restarts the server; run alone")
)
struct PostgresRestartTests {
    /// Runs `pg_ctlcluster <version> <cluster> restart` and waits for it with `waitpid`
    /// (Foundation's `Process.waitUntilExit` can miss the child's exit inside a test run).
    static func restartPostgres() throws {
        let cluster = (ProcessInfo.processInfo.environment["CHOREO_TEST_PG_CLUSTER"] ?? "15 main").split(separator: " ")
            .map(String.init)
        let arguments = ["pg_ctlcluster"] + cluster + ["restart"]
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawnp(&pid, "pg_ctlcluster", nil, nil, argv, environ)
        guard spawned == 0 else { throw WaitTimeout(description: "cannot run pg_ctlcluster (\(spawned))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw WaitTimeout(description: "pg_ctlcluster restart failed with status \(status)") }
    }

    @Test("PostgreSQL restarted during a run: the relay reconnects and every event is published in key order")
    func relayReconnects() async throws {
        try await OutboxTestHarness.with { harness in
            try await harness.withRelay { relay in
                var connection = try await harness.connect()
                for i in 0..<200 {
                    if i == 60 {
                        try await waitUntil { relay.metrics.published >= 60 }
                        try Self.restartPostgres()
                    }
                    // A writer that reconnects, as a service would.
                    while true {
                        do {
                            try await harness.writeNext(key: "k\(i % 7)", on: connection)
                            break
                        } catch let error as PostgresError where error.isRetriable {
                            try await Task.sleep(for: .milliseconds(100))
                            if let fresh = try? await harness.connect() { connection = fresh }
                        }
                    }
                }
                let rows = try await connection.query("SELECT id, version FROM aggregates")
                var expected: [String: Int] = [:]
                for row in rows {
                    expected[try row.decode(String.self, column: 0)] = Int(try row.decode(Int64.self, column: 1))
                }
                await connection.close()
                let final = expected
                let messages = try await harness.reader.read(timeout: .seconds(60)) {
                    ArrivalCheck.isComplete($0, expected: final)
                }
                ArrivalCheck.assertComplete(messages, expected: final)
                try await waitUntil(timeout: .seconds(30)) { try await harness.pendingCount() == 0 }
                #expect(relay.metrics.isActive)
            }
        }
    }
}
