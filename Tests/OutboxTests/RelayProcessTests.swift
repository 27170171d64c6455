import ChoreoTestSupport
import Foundation
import Kafka
import Outbox
import Postgres
import Testing

/// Tests that run `choreo relay` as separate processes, so that one can be killed with SIGKILL.
@Suite("Relay processes: kill -9 and takeover")
struct RelayProcessTests {
    @Test("kill -9 of the active relay mid-backlog: the standby takes over, every event arrives in key order")
    func killNineTakeover() async throws {
        try await OutboxTestHarness.with { harness in
            let keys = 40
            let perKey = 250
            let connection = try await harness.connect()
            for chunk in 0..<(perKey / 10) {
                let events = (0..<keys).flatMap { k in
                    (1...10).map { harness.event(key: "k\(k)", seq: chunk * 10 + $0) }
                }
                try await connection.withTransaction { tx in try await harness.writer.append(events, on: tx) }
            }
            let total = keys * perKey
            #expect(try await harness.pendingCount() == total)
            let url = databaseURL(of: harness.database)
            let arguments = [
                "relay", "--database-url", url, "--bootstrap-servers", harness.broker.bootstrapServers,
                "--batch-size", "100", "--source", "/tests/relay-process",
            ]
            let first = try ChoreoProcess.start(arguments)
            defer { first.kill() }
            try await waitUntil { try await harness.pendingCount() < total }
            let second = try ChoreoProcess.start(arguments)
            defer { second.kill() }
            // Kill the active relay in the middle of the backlog.
            try await waitUntil { try await harness.pendingCount() < total * 3 / 4 }
            first.kill(signal: SIGKILL)
            let pendingAtKill = try await harness.pendingCount()
            #expect(pendingAtKill > 0, "the kill happened mid-backlog")
            try await waitUntil(timeout: .seconds(60)) { try await harness.pendingCount() == 0 }
            let expected = Dictionary(uniqueKeysWithValues: (0..<keys).map { ("k\($0)", perKey) })
            let messages = try await harness.reader.read(timeout: .seconds(60)) {
                ArrivalCheck.isComplete($0, expected: expected)
            }
            ArrivalCheck.assertComplete(messages, expected: expected)
            // The standby stops cleanly on SIGTERM.
            second.kill(signal: SIGTERM)
            #expect(await second.waitForExit(timeout: .seconds(15)) == 0)
            await connection.close()
        }
    }
}
