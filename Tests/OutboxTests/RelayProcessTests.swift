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
            let perKey = 1_000  // 40,000 events: enough that the kill lands mid-backlog on a loaded machine
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
            // Slow acknowledgements (batches of 100, a few in flight, 500 ms each) keep the
            // active relay at a few hundred rows a second, so the kill lands mid-backlog
            // however fast the relay and the machine are (a fast relay drained all 40,000 rows
            // between two polls of the wait below).
            try harness.broker.setBrokerLatency(1, .milliseconds(500))
            let first = try ChoreoProcess.start(arguments)
            defer { first.kill() }
            try await waitUntil { try await harness.pendingCount() < total }
            // Frozen, it still holds its lock session; the kill closes it.
            first.kill(signal: SIGSTOP)
            let pendingAtKill = try await harness.pendingCount()
            try harness.broker.setBrokerLatency(1, .zero)
            let second = try ChoreoProcess.start(arguments)
            defer { second.kill() }
            first.kill(signal: SIGKILL)
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

    @Test(
        "choreo relay --root: a row on a topic topics/ does not declare for its type blocks its key; relay status shows it"
    )
    func undeclaredTopicWithProjectRoot() async throws {
        try await OutboxTestHarness.with { harness in
            let root = FileManager.default.temporaryDirectory.appending(path: "choreo-relay-root-\(UUID())")
            let topics = root.appending(path: "topics")
            try FileManager.default.createDirectory(at: topics, withIntermediateDirectories: true)
            try Data(
                """
                name: \(OutboxTestHarness.topic)
                kind: events
                partitions: \(OutboxTestHarness.partitions)
                eventTypes: [test.event.v1]
                """.utf8
            ).write(to: topics.appending(path: "test.yaml"))
            let connection = try await harness.connect()
            try await connection.execute(
                """
                INSERT INTO outbox (event_id, topic, partition_key, event_type, payload)
                VALUES (gen_random_uuid(), 'outbox.elsewhere', 'elsewhere', 'test.event.v1', '{"key":"elsewhere","seq":1}'),
                       (gen_random_uuid(), \(OutboxTestHarness.topic), 'declared', 'other.event.v1', '{"key":"declared","seq":1}')
                """)
            try await harness.writer.append(harness.event(key: "ok", seq: 1), on: connection)
            let url = databaseURL(of: harness.database)
            let relay = try ChoreoProcess.start([
                "relay", "--database-url", url, "--bootstrap-servers", harness.broker.bootstrapServers, "--root",
                root.path,
            ])
            defer { relay.kill() }
            _ = try await harness.reader.read(count: 1)
            try await waitUntil { try await harness.pendingCount() == 2 }
            try await waitUntil {
                try await ProcessRun.choreo(["relay", "status", "--database-url", url]).stdout
                    .contains("blocked keys: 2")
            }
            let status = try await ProcessRun.choreo(["relay", "status", "--database-url", url])
            #expect(status.stdout.contains("key elsewhere"))
            #expect(status.stdout.contains("key declared"))
            #expect(status.stdout.components(separatedBy: "undeclared-topic").count == 3)
            relay.kill(signal: SIGTERM)
            #expect(await relay.waitForExit(timeout: .seconds(15)) == 0)
            await connection.close()
        }
    }
}
