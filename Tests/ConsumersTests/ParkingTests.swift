import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Postgres
import Synchronization
import Testing

@testable import Consumers

/// Order-preserving mode (`preserveKeyOrder`): no loss, no double apply, no reorder.
@Suite("Consumer runtime: order-preserving parking (PostgreSQL + embedded broker)")
struct ParkingTests {
    static func order(_ harness: ConsumerTestHarness, key: String) async throws -> [Int32] {
        let connection = try await PostgresConnection.connect(configuration: harness.database)
        defer { Task { await connection.close() } }
        return try await connection.query("SELECT seq FROM effects WHERE key = \(key) ORDER BY id").map {
            try $0.decode(Int32.self, column: 0)
        }
    }

    static func count(_ harness: ConsumerTestHarness, _ table: String) async throws -> Int {
        let connection = try await PostgresConnection.connect(configuration: harness.database)
        defer { Task { await connection.close() } }
        let rows = try await connection.query("SELECT count(*)::bigint FROM \(unsafeSQL: table)")
        return Int(try #require(rows.first).decode(Int64.self, column: 0))
    }

    @Test("a released event whose retry publish fails stays K's blocker and its retry is re-sent until delivered")
    func failedPublishAfterRelease() async throws {
        try await ConsumerTestHarness.with { harness in
            let k2Attempts = Mutex(0)
            let handler: EventHandler = { event, context in
                struct NotYet: Error {}
                if event.data == TestContracts.data(key: "K", seq: 1), event.attempt == 1 { throw NotYet() }
                if event.data == TestContracts.data(key: "K", seq: 2) {
                    if k2Attempts.withLock({ value -> Int in
                        value += 1
                        return value
                    }) == 1 {
                        throw NotYet()
                    }
                }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            var configuration = harness.configuration(handler: handler)
            configuration.preserveKeyOrder = true
            configuration.retry = RetryPolicy(delays: [.seconds(1), .seconds(2)])
            for delay in configuration.retry.delays {
                try harness.broker.createTopic(
                    RetryPolicy.retryTopic(group: ConsumerTestHarness.group, delay: delay), partitions: 1)
            }
            configuration.optimisticBatches = false
            try await harness.publish([("K", 1), ("K", 2), ("K", 3), ("other", 1)])
            try await harness.withRuntime(configuration) { runtime in
                do {
                    try await waitUntil { runtime.metrics.retried == 1 && runtime.metrics.parked == 2 }
                } catch {
                    Issue.record("metrics: \(runtime.metrics)")
                    throw error
                }
                // The next produce request — K2's retry, after K1's retry succeeds and releases
                // it — fails at the broker.
                try harness.broker.pushRequestErrors(apiKey: .produce, errors: [.topicAuthorizationFailed])
                try await waitUntil(timeout: .seconds(40)) { try await Self.order(harness, key: "K").count == 3 }
                #expect(try await Self.count(harness, "parked_publications") == 0)
                #expect(try await Self.count(harness, "parked_keys") == 0)
            }
            #expect(try await Self.order(harness, key: "K") == [1, 2, 3])
            #expect(try await harness.effectCounts().values.allSatisfy { $0 == 1 })
            #expect(k2Attempts.withLock { $0 } == 2)
        }
    }

    @Test(
        "a dead-lettered event blocks its key: later events of K wait, other keys flow; releasing K applies them in order"
    )
    func deadLetteredBlocker() async throws {
        try await ConsumerTestHarness.with { harness in
            var configuration = harness.configuration()
            configuration.preserveKeyOrder = true
            let poison = EventEnvelope(
                id: UUID(), type: TestContracts.v1, source: "/tests", time: Date(), subject: nil, correlationID: nil,
                causationID: nil, traceparent: nil)
            try await harness.publishRaw(
                key: "K", value: Array(#"{"key":"K","seq":-1}"#.utf8), headers: poison.kafkaHeaders())
            try await harness.publish([("K", 2), ("K", 3), ("other", 1), ("other", 2)])
            try await harness.withRuntime(configuration) { runtime in
                let letters = try await harness.deadLetters.read(count: 1)
                #expect(letters.first?.header("dlq_reason") == "contract-violation")
                try await waitUntil { try await Self.order(harness, key: "other") == [1, 2] }
                try await waitUntil { runtime.metrics.parked == 2 }
                #expect(try await Self.order(harness, key: "K").isEmpty)
                let connection = try await PostgresConnection.connect(configuration: harness.database)
                defer { Task { await connection.close() } }
                let blockers = try await ParkedKeys.blockers(group: ConsumerTestHarness.group, on: connection)
                #expect(blockers.map(\.key) == ["K"])
                #expect(blockers.first?.blockingEvent == poison.id)
                #expect(blockers.first?.parkedEvents == 2)
                #expect(
                    try await ParkedKeys.release(
                        group: ConsumerTestHarness.group, key: "K", blockingEvent: UUID(), on: connection) == false,
                    "another blocker is not removed")
                #expect(
                    try await ParkedKeys.release(
                        group: ConsumerTestHarness.group, key: "K", blockingEvent: poison.id, on: connection))
                try await waitUntil(timeout: .seconds(20)) { try await Self.order(harness, key: "K") == [2, 3] }
                try await harness.publish([("K", 4)])
                try await waitUntil { try await Self.order(harness, key: "K") == [2, 3, 4] }
            }
        }
    }

    @Test(
        "control messages on the group's replay topic: one naming another blocker changes nothing; discard drops K's parked events and later events of K flow"
    )
    func controlMessages() async throws {
        try await ConsumerTestHarness.with { harness in
            var configuration = harness.configuration()
            configuration.preserveKeyOrder = true
            let poison = EventEnvelope(
                id: UUID(), type: TestContracts.v1, source: "/tests", time: Date(), subject: nil, correlationID: nil,
                causationID: nil, traceparent: nil)
            try await harness.publishRaw(
                key: "K", value: Array(#"{"key":"K","seq":-1}"#.utf8), headers: poison.kafkaHeaders())
            try await harness.publish([("K", 2), ("K", 3)])
            try await harness.withRuntime(configuration) { runtime in
                try await waitUntil { runtime.metrics.parked == 2 }
                let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(harness.broker))
                defer { Task { await producer.shutdown() } }
                let group = ConsumerTestHarness.group
                // Names another blocker: ignored. A marker event behind it on the same (one-partition)
                // replay topic shows when the control has been processed.
                _ = try await producer.send(
                    ReplayControl(action: .discard, key: "K", blockingEvent: UUID()).message(group: group))
                let marker = EventEnvelope(
                    id: UUID(), type: TestContracts.v1, source: "/tests", time: Date(), subject: nil,
                    correlationID: nil, causationID: nil, traceparent: nil)
                _ = try await producer.send(
                    KafkaProducerMessage(
                        topic: RetryPolicy.replayTopic(group: group), partition: nil, key: Array("marker".utf8),
                        value: TestContracts.data(key: "marker", seq: 1), headers: marker.kafkaHeaders()))
                try await waitUntil { try await Self.order(harness, key: "marker") == [1] }
                #expect(try await Self.count(harness, "parked_keys") == 1)
                #expect(try await Self.count(harness, "parked_events") == 2)
                _ = try await producer.send(
                    ReplayControl(action: .discard, key: "K", blockingEvent: poison.id).message(group: group))
                try await waitUntil(timeout: .seconds(20)) { try await Self.count(harness, "parked_keys") == 0 }
                #expect(try await Self.count(harness, "parked_events") == 0)
                try await harness.publish([("K", 4)])
                try await waitUntil { try await Self.order(harness, key: "K") == [4] }
            }
            #expect(try await Self.order(harness, key: "K") == [4], "the discarded parked events are never applied")
        }
    }

    @Test("two instances over orphaned parked rows with a slow handler: every effect applied exactly once, in order")
    func twoInstancesOverOrphans() async throws {
        try await ConsumerTestHarness.with { harness in
            let connection = try await PostgresConnection.connect(configuration: harness.database)
            defer { Task { await connection.close() } }
            try await harness.parkOrphans(key: "K", seqs: 1...6, on: connection)
            let slow: EventHandler = { event, context in
                try await Task.sleep(for: .milliseconds(150))
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            var configuration = harness.configuration(handler: slow)
            configuration.preserveKeyOrder = true
            let first = try ConsumerRuntime(configuration: configuration)
            let second = try ConsumerRuntime(configuration: configuration)
            let tasks = [Task { try await first.run() }, Task { try await second.run() }]
            try await waitUntil(timeout: .seconds(30)) { try await Self.order(harness, key: "K").count >= 6 }
            try await harness.publish([("K", 7)])
            try await waitUntil(timeout: .seconds(30)) { try await Self.order(harness, key: "K").count >= 7 }
            for runtime in [first, second] { runtime.requestStop() }
            for task in tasks { try await task.value }
            #expect(try await Self.order(harness, key: "K") == [1, 2, 3, 4, 5, 6, 7])
            #expect(first.metrics.handled + second.metrics.handled == 7)
        }
    }
}
