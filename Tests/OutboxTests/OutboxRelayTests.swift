import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Outbox
import Postgres
import Testing

@Suite("Outbox writer and relay (PostgreSQL + embedded broker)")
struct OutboxRelayTests {
    @Test("a rolled-back transaction publishes nothing; a committed one publishes exactly its events")
    func rollbackPublishesNothing() async throws {
        try await OutboxTestHarness.with { harness in
            let connection = try await harness.connect()
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await connection.withTransaction { tx in
                    try await harness.writer.append(harness.event(key: "rolled-back", seq: 1), on: tx)
                    try await harness.writer.append(harness.event(key: "rolled-back", seq: 2), on: tx)
                    throw Abort()
                }
            }
            let envelopes = try await connection.withTransaction { tx in
                try await harness.writer.append(
                    [
                        harness.event(key: "a", seq: 1), harness.event(key: "a", seq: 2),
                        harness.event(key: "b", seq: 1),
                    ],
                    on: tx)
            }
            await connection.close()
            try await harness.withRelay { relay in
                let messages = try await harness.reader.read(count: 3)
                #expect(messages.count == 3)
                ArrivalCheck.assertComplete(messages, expected: ["a": 2, "b": 1])
                let byID = Dictionary(uniqueKeysWithValues: envelopes.map { ($0.id.uuidString.lowercased(), $0) })
                for message in messages {
                    let id = try #require(message.header("ce_id")?.lowercased())
                    let envelope = try #require(byID[id])
                    #expect(message.header("ce_type") == "test.event.v1")
                    #expect(message.header("ce_specversion") == "1.0")
                    #expect(message.header("ce_source") == "/tests/outbox")
                    #expect(message.header("content-type") == "application/json")
                    #expect(message.header("ce_subject") == message.keyString)
                    #expect(message.header("ce_time") != nil)
                    #expect(message.keyString == envelope.subject)
                }
                // Drained: nothing pending, and no event of the rolled-back transaction exists.
                try await waitUntil { try await harness.pendingCount() == 0 }
                let extra = try await harness.reader.read(timeout: .milliseconds(500)) { _ in false }
                #expect(extra.count == 3)
                #expect(extra.allSatisfy { $0.keyString != "rolled-back" })
                #expect(relay.metrics.published == 3)
            }
        }
    }

    @Test("invalid data is refused by the writer and nothing is inserted")
    func invalidDataRefused() async throws {
        try await OutboxTestHarness.with { harness in
            let connection = try await harness.connect()
            defer { Task { await connection.close() } }
            let bad = OutboxEvent(
                type: OutboxTestHarness.eventType, key: "k", data: Array(#"{"key":"k","seq":-1}"#.utf8))
            await #expect(throws: OutboxError.self) {
                try await connection.withTransaction { tx in try await harness.writer.append(bad, on: tx) }
            }
            let unknown = OutboxEvent(
                type: EventType(name: "no.such", version: 1), key: "k", data: Array("{}".utf8),
                topic: OutboxTestHarness.topic)
            do {
                try await connection.withTransaction { tx in try await harness.writer.append(unknown, on: tx) }
                Issue.record("an unknown type was accepted")
            } catch let error as OutboxError {
                #expect(error.code == .unknownType)
            }
            #expect(try await harness.pendingCount() == 0)
        }
    }

    @Test("concurrent writers: every event is published, per-key order equals commit order")
    func concurrentWriters() async throws {
        try await OutboxTestHarness.with { harness in
            let keys = (0..<8).map { "agg-\($0)" }
            let writers = 4
            let perWriter = 150
            try await harness.withRelay { _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<writers {
                        group.addTask {
                            let connection = try await harness.connect()
                            for i in 0..<perWriter {
                                try await harness.writeNext(key: keys[(i * 7 + writer) % keys.count], on: connection)
                            }
                            await connection.close()
                        }
                    }
                    try await group.waitForAll()
                }
                let connection = try await harness.connect()
                let rows = try await connection.query("SELECT id, version FROM aggregates")
                var expected: [String: Int] = [:]
                for row in rows {
                    expected[try row.decode(String.self, column: 0)] = Int(try row.decode(Int64.self, column: 1))
                }
                await connection.close()
                #expect(expected.values.reduce(0, +) == writers * perWriter)
                let final = expected
                let messages = try await harness.reader.read { ArrivalCheck.isComplete($0, expected: final) }
                ArrivalCheck.assertComplete(messages, expected: expected)
            }
        }
    }

    @Test("a transaction that takes a smaller id but commits later is still published, before its key's later events")
    func lateCommitIsNotSkipped() async throws {
        try await OutboxTestHarness.with { harness in
            // Small batches, several in flight: the relay reads ahead past the open transaction.
            var configuration = try harness.relayConfiguration()
            configuration.batchSize = 5
            configuration.maxBatchesInFlight = 4
            try await harness.withRelay(configuration) { relay in
                try await lateCommit(harness, relay: relay, commitOnceDelivered: 40)
            }
        }
    }

    /// A slow transaction takes a smaller id while 40 later ones commit and are published; it
    /// commits once `commitOnceDelivered` of them were delivered, and its key's next event
    /// commits after it. Every event must arrive, and each key's in order: the late event
    /// must not be skipped nor overtaken by its key's next one.
    private func lateCommit(
        _ harness: OutboxTestHarness, relay: OutboxRelay, commitOnceDelivered delivered: Int
    ) async throws {
        let slow = try await harness.connect()
        let fast = try await harness.connect()
        try await slow.simpleQuery("BEGIN")
        try await harness.writer.append(harness.event(key: "slow", seq: 1), on: slow)
        for _ in 0..<40 { try await harness.writeNext(key: "fast", on: fast) }
        try await waitUntil { relay.metrics.published >= delivered }
        try await slow.simpleQuery("COMMIT")
        try await harness.writer.append(harness.event(key: "slow", seq: 2), on: fast)
        for _ in 0..<20 { try await harness.writeNext(key: "fast", on: fast) }
        let expected = ["fast": 60, "slow": 2]
        let messages = try await harness.reader.read { ArrivalCheck.isComplete($0, expected: expected) }
        ArrivalCheck.assertComplete(messages, expected: expected)
        try await waitUntil { try await harness.pendingCount() == 0 }
        await slow.close()
        await fast.close()
    }

    @Test(
        "a late commit while batches are in flight is found by the run's count of pending rows, not by a rescan"
    )
    func lateCommitWhileBatchesAreInFlight() async throws {
        try await OutboxTestHarness.with { harness in
            var configuration = try harness.relayConfiguration()
            configuration.batchSize = 5
            configuration.maxBatchesInFlight = 4
            // No rescan within the test: only the count can send the run back for the late row.
            configuration.rescanInterval = .seconds(120)
            // Slow acknowledgements keep batches in flight while the late row commits.
            try harness.broker.setBrokerLatency(1, .milliseconds(300))
            try await harness.withRelay(configuration) { relay in
                try await lateCommit(harness, relay: relay, commitOnceDelivered: 5)
            }
        }
    }

    @Test("all brokers down for seconds during a backlog: nothing lost, per-key order kept")
    func brokersDown() async throws {
        try await OutboxTestHarness.with(brokers: 3) { harness in
            try await harness.withRelay { relay in
                let connection = try await harness.connect()
                var expected: [String: Int] = [:]
                for i in 0..<300 {
                    let key = "k\(i % 10)"
                    expected[key] = try await harness.writeNext(key: key, on: connection)
                    if i == 100 {
                        for broker in Int32(1)...3 { try harness.broker.setBrokerDown(broker) }
                    }
                }
                try await Task.sleep(for: .seconds(3))  // the outage itself, not a wait for an event
                for broker in Int32(1)...3 { try harness.broker.setBrokerUp(broker) }
                await connection.close()
                let final = expected
                let messages = try await harness.reader.read(timeout: .seconds(60)) {
                    ArrivalCheck.isComplete($0, expected: final)
                }
                ArrivalCheck.assertComplete(messages, expected: expected)
                try await waitUntil { relay.metrics.published >= 300 }
            }
        }
    }

    @Test("injected produce errors and a fatal producer error: nothing lost, per-key order kept")
    func injectedProduceErrors() async throws {
        try await OutboxTestHarness.with(brokers: 3) { harness in
            try await harness.withRelay { relay in
                let connection = try await harness.connect()
                var expected: [String: Int] = [:]
                for i in 0..<600 {
                    let key = "k\(i % 12)"
                    expected[key] = try await harness.writeNext(key: key, on: connection)
                    switch i {
                    case 100:
                        try harness.broker.pushRequestErrors(
                            apiKey: .produce,
                            errors: [
                                .notLeaderForPartition, .notLeaderForPartition, .networkException,
                                .requestTimedOut, .notLeaderForPartition,
                            ])
                    case 300:
                        try await waitUntil { relay.metrics.published >= 250 }
                        relay._injectFatalProducerError()
                    default: break
                    }
                }
                await connection.close()
                let final = expected
                let messages = try await harness.reader.read(timeout: .seconds(60)) {
                    ArrivalCheck.isComplete($0, expected: final)
                }
                ArrivalCheck.assertComplete(messages, expected: expected)
                try await waitUntil { try await harness.pendingCount() == 0 }
                #expect(relay.metrics.producerRestarts >= 1)
            }
        }
    }

    @Test("a standby relay takes over only when the active one stops")
    func standbyTakesOver() async throws {
        try await OutboxTestHarness.with { harness in
            let first = try OutboxRelay(database: harness.database, configuration: try harness.relayConfiguration())
            let firstTask = Task { try await first.run() }
            try await waitUntil { first.metrics.isActive }
            var standbyConfiguration = try harness.relayConfiguration()
            standbyConfiguration.standbyRetryInterval = .milliseconds(200)
            try await harness.withRelay(standbyConfiguration) { second in
                let connection = try await harness.connect()
                try await harness.writeNext(key: "x", on: connection)
                _ = try await harness.reader.read(count: 1)
                // The row is removed (and counted) just after its delivery report.
                try await waitUntil { first.metrics.published == 1 }
                #expect(!second.metrics.isActive)
                first.requestStop()
                try await firstTask.value
                try await waitUntil { second.metrics.isActive }
                try await harness.writeNext(key: "x", on: connection)
                let messages = try await harness.reader.read(count: 2)
                ArrivalCheck.assertComplete(messages, expected: ["x": 2])
                try await waitUntil { second.metrics.published == 1 }
                await connection.close()
            }
        }
    }

    @Test("kept delivered rows are marked, then cleaned up after the retention")
    func keepDeliveredAndCleanup() async throws {
        try await OutboxTestHarness.with { harness in
            var configuration = try harness.relayConfiguration()
            configuration.keepDelivered = .seconds(3600)
            try await harness.withRelay(configuration) { relay in
                let connection = try await harness.connect()
                try await harness.writeNext(key: "audit", on: connection)
                try await waitUntil { relay.metrics.published == 1 }
                let kept = try await connection.query(
                    "SELECT count(*)::bigint FROM outbox WHERE delivered_at IS NOT NULL")
                #expect(try #require(kept.first).decode(Int64.self, column: 0) == 1)
                #expect(try await OutboxCleanup(keepDelivered: .seconds(3600)).run(on: connection) == 0)
                try await connection.execute("UPDATE outbox SET delivered_at = delivered_at - interval '2 hours'")
                #expect(try await OutboxCleanup(keepDelivered: .seconds(3600)).run(on: connection) == 1)
                await connection.close()
            }
        }
    }
}
