import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Testing

@testable import Consumers

@Suite("Dead-letter format and message limits (pure)")
struct DeadLetterTests {
    static func message(value: [UInt8]?, headers: [KafkaHeader], key: String = "k") -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: "t.events", partition: 2, offset: 41, key: Array(key.utf8), value: value, headers: headers,
            timestamp: nil)
    }

    @Test("a dead letter's dlq_* headers read back as they were written; the original headers are kept first")
    func roundTrip() throws {
        let letter = DeadLetter(
            originalTopic: "t.events", originalPartition: 2, originalOffset: 41, group: "g",
            reason: .contractViolation, error: "bad\nline", attempts: 3,
            failedAt: Date(timeIntervalSince1970: 1_700_000_000.5))
        let original = Self.message(
            value: Array("{}".utf8),
            headers: [
                KafkaHeader(key: "ce_id", string: "x"), KafkaHeader(key: "retry_attempt", string: "2"),
                KafkaHeader(key: "dlq_reason", string: "forged"),
            ])
        let produced = letter.message(for: original, topic: "g.dlq")
        #expect(produced.headers.first == KafkaHeader(key: "ce_id", string: "x"))
        #expect(!produced.headers.contains(KafkaHeader(key: "dlq_reason", string: "forged")))
        #expect(!produced.headers.contains { $0.key == "retry_attempt" })
        let decoded = try #require(DeadLetter(headers: produced.headers))
        #expect(decoded == letter)
        #expect(decoded.error == "bad line")
        #expect(decoded.truncation == nil)
        #expect(DeadLetter.originalHeaders(produced.headers) == [KafkaHeader(key: "ce_id", string: "x")])
    }

    @Test("the cut-down form keeps the first 4 KiB, the size and SHA-256 of the value, and the headers that fit")
    func cutDown() throws {
        let value = (0..<999_800).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let headers =
            [KafkaHeader(key: "ce_id", string: "abc")]
            + (0..<10).map {
                KafkaHeader(key: "big\($0)", value: [UInt8](repeating: 7, count: 10_000))
            }
        let letter = DeadLetter(
            originalTopic: "t.events", originalPartition: 2, originalOffset: 41, group: "g",
            reason: .oversized, error: "too big", attempts: 1)
        let original = Self.message(value: value, headers: headers)
        #expect(!letter.fitsWhole(original, maxMessageBytes: 1_000_000, maxHeaderBytes: 64 * 1024))
        let produced = letter.cutDownMessage(
            for: original, topic: "g.dlq", maxMessageBytes: 1_000_000, maxHeaderBytes: 32 * 1024)
        #expect(produced.value == Array(value.prefix(4096)))
        #expect(DeadLetter.byteCount(produced.headers) <= 32 * 1024)
        #expect(produced.headers.first == KafkaHeader(key: "ce_id", string: "abc"))
        #expect(
            produced.headers.filter { $0.key.hasPrefix("big") }.count == 3,
            "only the headers that fit (3 × 10,004 bytes of 32 KiB)")
        let decoded = try #require(DeadLetter(headers: produced.headers))
        #expect(decoded.truncation?.originalSize == 999_800)
        #expect(decoded.truncation?.originalSHA256 == ContractLock.sha256Hex(value))
        #expect(produced.headers.contains(KafkaHeader(key: "dlq_truncated", string: "true")))
        #expect(decoded.originalTopic == "t.events" && decoded.originalOffset == 41)
    }

    @Test("limits: header count, header bytes and message bytes")
    func limits() {
        var limits = MessageLimits()
        limits.maxMessageBytes = 1_000
        limits.maxHeaderCount = 3
        limits.maxHeaderBytes = 100
        #expect(limits.violation(Self.message(value: [1, 2], headers: [])) == nil)
        let many = (0..<4).map { KafkaHeader(key: "h\($0)", string: "") }
        #expect(limits.violation(Self.message(value: nil, headers: many)) != nil)
        #expect(
            limits.violation(
                Self.message(value: nil, headers: [KafkaHeader(key: "h", value: [UInt8](repeating: 0, count: 100))]))
                != nil)
        #expect(limits.violation(Self.message(value: [UInt8](repeating: 0, count: 1_000), headers: [])) != nil)
    }

    @Test("on a retry topic retry_due_at is capped at now + the topic's delay; elsewhere retry headers are ignored")
    func dueAtCapped() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let headers = [
            KafkaHeader(key: RetryHeaders.attempt, string: "2"),
            KafkaHeader(key: RetryHeaders.dueAt, string: "99999999999999"),
            KafkaHeader(key: RetryHeaders.originalTopic, string: "t.events"),
            KafkaHeader(key: RetryHeaders.originalPartition, string: "1"),
            KafkaHeader(key: RetryHeaders.originalOffset, string: "5"),
        ]
        let message = Self.message(value: nil, headers: headers)
        let onRetry = MessageOrigin(message, retryDelay: .seconds(10), now: now)
        #expect(onRetry.dueAt == now.addingTimeInterval(10))
        #expect(onRetry.attempt == 2)
        let onMain = MessageOrigin(message, retryDelay: nil, now: now)
        #expect(onMain.dueAt == nil && onMain.attempt == 1)
    }
}

@Suite("Consumer group spec: limits")
struct ConsumerGroupSpecLimitsTests {
    static func load(_ yaml: String) throws -> ConsumerGroupSpec {
        let directory = FileManager.default.temporaryDirectory.appending(path: "choreo-spec-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appending(path: "g.yaml")
        try Data(("group: g\nservice: s\ntopics: [t.events]\nhandles: [t.v1]\n" + yaml).utf8).write(to: file)
        return try ConsumerGroupSpec.load(file)
    }

    @Test("limits: defaults, overrides, and a bound out of range names the field")
    func limits() throws {
        #expect(try Self.load("").messageLimits() == MessageLimits())
        let limits = try Self.load("limits: { maxMessageBytes: 500000, maxHeaderCount: 10 }\n").messageLimits()
        #expect(limits.maxMessageBytes == 500_000 && limits.maxHeaderCount == 10)
        #expect(limits.maxHeaderBytes == MessageLimits().maxHeaderBytes)
        #expect(throws: ConsumerError.self) { try Self.load("limits: { maxHeaderCount: 0 }\n") }
        do {
            _ = try Self.load("limits: { maxHeaderCount: 0 }\n")
        } catch {
            #expect("\(error)".contains("limits.maxHeaderCount"))
        }
    }
}
