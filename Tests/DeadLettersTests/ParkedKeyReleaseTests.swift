import ChoreoTestSupport
import Consumers
import Contracts
import DeadLetters
import Foundation
import Kafka
import Postgres
import Testing

@Suite("choreo dlq: a key parked behind a dead letter is released in order after a replay or a discard", .serialized)
struct ParkedKeyReleaseTests {
    static let group = DeadLetterTestHarness.group

    /// `seq` of `key`'s effects, in the order they were applied.
    static func order(_ harness: DeadLetterTestHarness, key: String) async throws -> [Int32] {
        let connection = try await PostgresConnection.connect(configuration: harness.database)
        let rows = try await connection.query("SELECT seq FROM effects WHERE key = \(key) ORDER BY id")
        await connection.close()
        return try rows.map { try $0.decode(Int32.self, column: 0) }
    }

    static func blockers(_ harness: DeadLetterTestHarness) async throws -> [ParkedKeys.Blocker] {
        let connection = try await PostgresConnection.connect(configuration: harness.database)
        let blockers = try await ParkedKeys.blockers(group: group, on: connection)
        await connection.close()
        return blockers
    }

    /// A contract violation of key K dead-lettered (and stored), K2 and K3 parked behind it.
    static func blockK(_ harness: DeadLetterTestHarness, runtime: ConsumerRuntime) async throws -> (UUID, Int64) {
        let poison = try await harness.publish(key: "K", data: #"{"key":"K","seq":-1}"#)
        try await harness.publish(key: "K", data: #"{"key":"K","seq":2}"#)
        try await harness.publish(key: "K", data: #"{"key":"K","seq":3}"#)
        try await harness.publish(key: "other", data: #"{"key":"other","seq":1}"#)
        try await waitUntil(timeout: .seconds(60)) { try await harness.store.list(DeadLetterFilter()).count == 1 }
        try await waitUntil(timeout: .seconds(60)) { runtime.metrics.parked == 2 }
        try await waitUntil(timeout: .seconds(30)) { try await order(harness, key: "other") == [1] }
        #expect(try await order(harness, key: "K").isEmpty)
        #expect(try await blockers(harness).map(\.blockingEvent) == [poison])
        let record = try #require(try await harness.store.list(DeadLetterFilter()).first)
        #expect(record.eventID == UUIDText.lowercased(poison))
        return (poison, record.id)
    }

    @Test("replaying the blocker (edited) applies it, then K's parked events in order")
    func releasedByReplay() async throws {
        try await DeadLetterTestHarness.with(preserveKeyOrder: true) { harness in
            try await harness.withRuntime { runtime in
                try await harness.withWorker {
                    let (_, id) = try await Self.blockK(harness, runtime: runtime)
                    let run = try await harness.choreo(["dlq", "replay", "\(id)", "--edit", #"{"key":"K","seq":1}"#])
                    #expect(run.status == 0, "stderr: \(run.stderr)")
                    try await waitUntil(timeout: .seconds(60)) { try await Self.order(harness, key: "K") == [1, 2, 3] }
                    #expect(try await Self.blockers(harness).isEmpty)
                }
            }
        }
    }

    @Test(
        "discarding the blocker sends a release control on the group's replay topic: K's parked events apply in order; the same control on an ordinary topic releases nothing"
    )
    func releasedByDiscard() async throws {
        try await DeadLetterTestHarness.with(preserveKeyOrder: true) { harness in
            try await harness.withRuntime { runtime in
                try await harness.withWorker {
                    let (poison, id) = try await Self.blockK(harness, runtime: runtime)
                    // Forged: the control headers on the group's main topic are not a control message.
                    let forged = ReplayControl(action: .release, key: "K", blockingEvent: poison)
                    var message = forged.message(group: Self.group)
                    message.topic = DeadLetterTestHarness.topic
                    let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(harness.broker))
                    _ = try await producer.send(message)
                    await producer.shutdown()
                    try await waitUntil(timeout: .seconds(60)) {
                        try await harness.store.list(DeadLetterFilter()).count == 2
                    }
                    #expect(try await Self.blockers(harness).map(\.blockingEvent) == [poison])
                    #expect(try await Self.order(harness, key: "K").isEmpty)

                    let run = try await harness.choreo(["dlq", "discard", "\(id)", "--reason", "bad data, dropped"])
                    #expect(run.status == 0, "stderr: \(run.stderr)")
                    #expect(run.stdout.contains("release of key K"))
                    try await waitUntil(timeout: .seconds(60)) { try await Self.order(harness, key: "K") == [2, 3] }
                    #expect(try await Self.blockers(harness).isEmpty)
                    let audit = try await harness.store.audit(id)
                    #expect(audit.last?.action == "discard")
                    #expect(audit.last?.detail.contains("test-group.replay") == true)
                }
            }
        }
    }

    @Test(
        "discarding a dead letter whose key holds a NUL byte (found by choreo chaos) works; the audit shows the key escaped"
    )
    func discardNulKey() async throws {
        try await DeadLetterTestHarness.with(preserveKeyOrder: true) { harness in
            let key = "chaos\u{0}key"
            try await harness.store.insert([try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1, key: key))])
            let record = try #require(try await harness.store.list(DeadLetterFilter()).first)
            #expect(record.keyText == key)
            let run = try await harness.choreo(["dlq", "discard", "\(record.id)", "--reason", "poison"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try await harness.store.record(record.id)?.status == .discarded)
            let audit = try await harness.store.audit(record.id)
            #expect(audit.last?.action == "discard")
            #expect(audit.last?.detail.contains("chaos\\\\u0000key") == true, "\(audit.last?.detail ?? "")")
        }
    }
}
