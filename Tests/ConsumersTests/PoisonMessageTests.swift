import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Kafka
import Postgres
import Testing

/// Publishes that can never succeed, hostile input and types a group does not handle:
/// the group never freezes, nothing valid is lost.
@Suite("Consumer runtime: poison messages and unpublishable dead letters (PostgreSQL + embedded broker)")
struct PoisonMessageTests {
    static func envelope(_ type: EventType = TestContracts.v1) -> EventEnvelope {
        EventEnvelope(
            id: UUID(), type: type, source: "/tests", time: Date(), subject: nil, correlationID: nil,
            causationID: nil, traceparent: nil)
    }

    @Test(
        "a 999,800-byte contract-breaking CloudEvent is dead-lettered cut down and the 5 events behind it are applied")
    func hugeContractViolation() async throws {
        try await ConsumerTestHarness.with { harness in
            let prefix = #"{"key":"K","seq":-1,"name":""#
            let filler = String(repeating: "x", count: 999_800 - prefix.utf8.count - 2)
            let value = Array((prefix + filler + #""}"#).utf8)
            #expect(value.count == 999_800)
            let poison = Self.envelope()
            try await harness.publishRaw(key: "K", value: value, headers: poison.kafkaHeaders())
            let valid = try await harness.publish((1...5).map { ("K", $0) })
            try await harness.withRuntime(harness.configuration()) { runtime in
                try await waitUntil(timeout: .seconds(30)) { try await harness.effectCounts().count == 5 }
                let letters = try await harness.deadLetters.read(count: 1)
                let letter = try #require(letters.first)
                #expect(letter.header("ce_id") == poison.id.uuidString.lowercased())
                #expect(letter.header("dlq_reason") == "contract-violation")
                #expect(letter.header("dlq_truncated") == "true")
                #expect(letter.header("dlq_original_size") == "999800")
                #expect(letter.header("dlq_original_sha256") == ContractLock.sha256Hex(value))
                #expect(letter.header("dlq_original_topic") == ConsumerTestHarness.topic)
                #expect(letter.header("dlq_original_offset") == "0")
                #expect(letter.value == Array(value.prefix(DeadLetter.keptValueBytes)))
                #expect(DeadLetter(headers: letter.headers)?.truncation?.originalSize == 999_800)
                #expect(runtime.metrics.deadLettered == 1)
            }
            #expect(Set(try await harness.effectCounts().keys) == Set(valid))
        }
    }

    @Test("a failing event too large to be retried (with retry headers) is dead-lettered cut down as oversized")
    func retryTooLarge() async throws {
        try await ConsumerTestHarness.with { harness in
            struct Flaky: Error {}
            let failing: EventHandler = { event, context in
                if event.data.count > 100_000 { throw Flaky() }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            let prefix = #"{"key":""#
            let value = Array(
                (prefix + String(repeating: "y", count: 999_700 - prefix.utf8.count - 10) + #"","seq":1}"#).utf8)
            let big = Self.envelope()
            try await harness.publishRaw(key: "big", value: value, headers: big.kafkaHeaders())
            let next = try await harness.publish([("big", 2), ("small", 1)])
            try await harness.withRuntime(harness.configuration(handler: failing)) { runtime in
                let letters = try await harness.deadLetters.read(count: 1)
                let letter = try #require(letters.first)
                #expect(letter.header("ce_id") == big.id.uuidString.lowercased())
                #expect(letter.header("dlq_reason") == "oversized")
                #expect(letter.header("dlq_error")?.contains("its retry cannot be published") == true)
                #expect(letter.header("dlq_truncated") == "true")
                #expect(letter.header("dlq_original_size") == String(value.count))
                try await waitUntil { try await harness.effectCounts().count == 2 }
                #expect(runtime.metrics.retried == 0)
            }
            #expect(Set(try await harness.effectCounts().keys) == Set(next))
        }
    }

    @Test("after a fatal producer error the runtime recreates its producer and delivers the dead letter")
    func fatalProducerErrorRecreatesProducer() async throws {
        try await ConsumerTestHarness.with { harness in
            let poison: EventHandler = { event, context in
                if event.key == "poison" { throw PermanentFailure("never") }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            try await harness.withRuntime(harness.configuration(handler: poison)) { runtime in
                try await waitUntil { !runtime.assignment.isEmpty }
                runtime._injectFatalProducerError()
                let ids = try await harness.publish([("poison", 1), ("steady", 1), ("steady", 2)])
                let letters = try await harness.deadLetters.read(count: 1)
                #expect(letters.first?.header("ce_id") == ids[0].uuidString.lowercased())
                #expect(letters.first?.header("dlq_reason") == "handler-error")
                try await waitUntil { try await harness.effectCounts().count == 2 }
                #expect(runtime.metrics.producerRecreations == 1)
                #expect(runtime.metrics.deadLettered == 1)
            }
        }
    }

    @Test("a message over the header-count limit is dead-lettered as oversized (cut down); the next is applied")
    func oversizedByHeaderCount() async throws {
        try await ConsumerTestHarness.with { harness in
            let envelope = Self.envelope()
            let extra = (0..<70).map { KafkaHeader(key: "x-\($0)", string: "v") }
            try await harness.publishRaw(
                key: "K", value: TestContracts.data(key: "K", seq: 1), headers: envelope.kafkaHeaders() + extra)
            let next = try await harness.publish([("K", 2)])
            try await harness.withRuntime(harness.configuration()) { runtime in
                let letters = try await harness.deadLetters.read(count: 1)
                #expect(letters.first?.header("dlq_reason") == "oversized")
                #expect(letters.first?.header("dlq_truncated") == "true")
                try await waitUntil { try await harness.effectCounts()[next[0]] == 1 }
            }
        }
    }

    @Test("a NUL byte in a key dead-letters the message as undecodable; the consumer keeps running")
    func nulKey() async throws {
        try await ConsumerTestHarness.with { harness in
            let keyed: EventHandler = { event, context in
                try await context.connection.execute(
                    "INSERT INTO effects (event_id, key, seq) VALUES (\(event.envelope.id), \(event.key), \(1))")
            }
            let envelope = Self.envelope()
            try await harness.publishRaw(
                key: "a\u{0}b", value: TestContracts.data(key: "a", seq: 1), headers: envelope.kafkaHeaders())
            let after = try await harness.publish([("a", 2), ("b", 3)])
            var configuration = harness.configuration(handler: keyed)
            configuration.preserveKeyOrder = true
            try await harness.withRuntime(configuration) { runtime in
                let letters = try await harness.deadLetters.read(count: 1)
                #expect(letters.first?.header("dlq_reason") == "undecodable")
                #expect(letters.first?.header("ce_id") == envelope.id.uuidString.lowercased())
                try await waitUntil { try await harness.effectCounts().count == 2 }
                #expect(runtime.metrics.handled == 2)
            }
            #expect(Set(try await harness.effectCounts().keys) == Set(after))
        }
    }

    @Test("a valid event of a known type the group does not handle is skipped and counted, not dead-lettered")
    func unhandledKnownTypeSkipped() async throws {
        try await ConsumerTestHarness.with { harness in
            try await harness.publishRaw(
                key: "o", value: Array("{}".utf8), headers: Self.envelope(ExtraContracts.other).kafkaHeaders())
            var unknown = Self.envelope(EventType(name: "no.such", version: 1))
            unknown.id = UUID()
            try await harness.publishRaw(key: "u", value: Array("{}".utf8), headers: unknown.kafkaHeaders())
            let after = try await harness.publish([("o", 1)])
            var configuration = harness.configuration()
            configuration.registry = try ExtraContracts.registry()
            try await harness.withRuntime(configuration) { runtime in
                try await waitUntil { try await harness.effectCounts()[after[0]] == 1 }
                try await waitUntil { runtime.metrics.skipped == 1 && runtime.metrics.deadLettered == 1 }
                let letters = try await harness.deadLetters.read(count: 1)
                #expect(letters.map { $0.header("dlq_reason") } == ["unknown-type"])
            }
        }
    }

    @Test("a type on a topic that does not declare it is dead-lettered as wrong-topic")
    func wrongTopic() async throws {
        try await ConsumerTestHarness.with { harness in
            try await harness.publishRaw(
                key: "o", value: Array("{}".utf8), headers: Self.envelope(ExtraContracts.other).kafkaHeaders())
            let good = try await harness.publish([("k", 1)])
            var configuration = harness.configuration()
            configuration.registry = try ExtraContracts.registry()
            configuration.topicTypes = [ConsumerTestHarness.topic: ["test.event.v1"]]
            try await harness.withRuntime(configuration) { runtime in
                let letters = try await harness.deadLetters.read(count: 1)
                #expect(letters.first?.header("dlq_reason") == "wrong-topic")
                try await waitUntil { try await harness.effectCounts()[good[0]] == 1 }
                #expect(runtime.metrics.skipped == 0)
            }
        }
    }
}

@Suite("Consumer runtime: a dead letter that cannot be published for now (PostgreSQL + embedded broker)")
struct HeldBackPartitionTests {
    @Test("a transient publish failure holds back its partition with backoff; nothing is lost or applied twice")
    func transientPublishFailureHoldsBackItsPartition() async throws {
        try await ConsumerTestHarness.with { harness in
            let poison: EventHandler = { event, context in
                if event.key == "poison" { throw PermanentFailure("never") }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            var configuration = harness.configuration(handler: poison)
            configuration.publishTimeout = .milliseconds(500)
            let ids = try await harness.publish([("poison", 1)] + (0..<30).map { ("other\($0)", $0) })
            // Every produce request fails (retriably at the broker) for a while: publications
            // time out, then go through.
            try harness.broker.pushRequestErrors(
                apiKey: .produce, errors: Array(repeating: .notEnoughReplicas, count: 40))
            try await harness.withRuntime(configuration) { runtime in
                let letters = try await harness.deadLetters.read(count: 1, timeout: .seconds(60))
                #expect(letters.first?.header("ce_id") == ids[0].uuidString.lowercased())
                try await waitUntil(timeout: .seconds(60)) { try await harness.effectCounts().count == 30 }
                #expect(runtime.metrics.publishRetries >= 1, "the partition was held back, with backoff")
            }
            #expect(try await harness.effectCounts().values.allSatisfy { $0 == 1 })
        }
    }

    @Test(
        "a dead-letter topic that refuses even cut-down dead letters holds back only that partition; the runtime keeps running"
    )
    func deadLetterTopicRefuses() async throws {
        try await ConsumerTestHarness.with { harness in
            let poison: EventHandler = { event, context in
                if event.key == "poison" { throw PermanentFailure("never") }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            var configuration = harness.configuration(handler: poison)
            configuration.deadLetterTopic = ""  // refused by the producer itself (the embedded broker accepts any name)
            configuration.publishTimeout = .seconds(1)
            try await harness.publish([("poison", 1)])
            try await harness.withRuntime(configuration) { runtime in
                try await waitUntil(timeout: .seconds(30)) { runtime.metrics.publishRetries >= 2 }
                let later = try await harness.publish((0..<20).map { ("other\($0)", $0) })
                try await waitUntil(timeout: .seconds(30)) {
                    try await harness.effectCounts().keys.filter(Set(later).contains).count == 20
                }
                #expect(runtime.metrics.deadLettered == 0)
            }
        }
    }
}
