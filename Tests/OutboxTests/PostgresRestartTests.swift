import ChoreoTestSupport
import Foundation
import Outbox
import Postgres
import Testing

/// Restarts the local PostgreSQL server, so it runs alone: `scripts/test.sh` runs it after
/// the rest of the suite with `CHOREO_TEST_PG_RESTART=1`.
@Suite(
    "Relay across a PostgreSQL restart",
    .enabled(if: ProcessInfo.processInfo.environment["CHOREO_TEST_PG_RESTART"] == "1", "restarts the server; run alone"))
struct PostgresRestartTests {
    static func restartPostgres() throws {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        let cluster = ProcessInfo.processInfo.environment["CHOREO_TEST_PG_CLUSTER"] ?? "15 main"
        process.arguments = ["pg_ctlcluster"] + cluster.split(separator: " ").map(String.init) + ["restart"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw WaitTimeout(description: "pg_ctlcluster restart exited with \(process.terminationStatus)")
        }
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
                for row in rows { expected[try row.decode(String.self, column: 0)] = Int(try row.decode(Int64.self, column: 1)) }
                await connection.close()
                let final = expected
                let messages = try await harness.reader.read(timeout: .seconds(60)) { ArrivalCheck.isComplete($0, expected: final) }
                ArrivalCheck.assertComplete(messages, expected: final)
                try await waitUntil(timeout: .seconds(30)) { try await harness.pendingCount() == 0 }
                #expect(relay.metrics.isActive)
            }
        }
    }
}
