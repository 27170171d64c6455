import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Testing

@testable import Consumers

/// `test.event` v1/v2 plus `other.event.v1` (`{}` of any object): a known contract that
/// the test group does not handle.
enum ExtraContracts {
    static let other = EventType(name: "other.event", version: 1)

    static func registry() throws -> ContractRegistry {
        let base = try TestContracts.registry()
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-extra-contracts-\(UUID())")
        for type in base.types {
            guard let contract = base.contract(for: type) else { continue }
            let directory = root.appending(path: type.name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(contract.bytes).write(to: directory.appending(path: "v\(type.version).schema.json"))
        }
        let directory = root.appending(path: other.name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}"#.utf8)
            .write(to: directory.appending(path: "v1.schema.json"))
        return try ContractRegistry(directory: root)
    }

    static func headers(_ type: EventType, id: UUID = UUID()) -> [KafkaHeader] {
        EventEnvelope(
            id: id, type: type, source: "/tests", time: Date(), subject: nil, correlationID: nil, causationID: nil,
            traceparent: nil
        ).kafkaHeaders()
    }
}

@Suite("Message classifier (pure)")
struct MessageClassifierTests {
    static func classifier(topicTypes: [String: Set<String>]? = nil) throws -> MessageClassifier {
        var handlers = EventHandlers()
        handlers.on(TestContracts.v1) { _, _ in }
        return MessageClassifier(
            registry: try ExtraContracts.registry(), upcasters: Upcasters(), handlers: handlers,
            retryDelays: ["g.retry.1s": .seconds(1)], ownTopics: ["g.replay"], topicTypes: topicTypes)
    }

    static func message(
        topic: String = "t.events", key: [UInt8]? = Array("k".utf8), headers: [KafkaHeader], value: [UInt8]
    )
        -> KafkaConsumerMessage
    {
        KafkaConsumerMessage(
            topic: topic, partition: 0, offset: 0, key: key, value: value, headers: headers, timestamp: nil)
    }

    static func reason(_ classification: MessageClassifier.Classification) -> String {
        switch classification {
        case .handle: "handle"
        case .skip: "skip"
        case .notDue: "not-due"
        case .deadLetter(let reason, _, _, _): reason.rawValue
        }
    }

    @Test("a valid event of a known contract the group does not handle is skipped; no contract at all is unknown-type")
    func skipVersusUnknown() throws {
        let classifier = try Self.classifier()
        let other = Self.message(headers: ExtraContracts.headers(ExtraContracts.other), value: Array("{}".utf8))
        #expect(Self.reason(classifier.classify(other)) == "skip")
        let unknown = Self.message(
            headers: ExtraContracts.headers(EventType(name: "no.such", version: 1)), value: Array("{}".utf8))
        #expect(Self.reason(classifier.classify(unknown)) == "unknown-type")
        let handled = Self.message(
            headers: ExtraContracts.headers(TestContracts.v1), value: TestContracts.data(key: "k", seq: 1))
        #expect(Self.reason(classifier.classify(handled)) == "handle")
    }

    @Test(
        "a type its topic does not declare is wrong-topic; the group's retry and replay topics carry any handled type")
    func wrongTopic() throws {
        let classifier = try Self.classifier(topicTypes: [
            "t.events": ["other.event.v1"], "u.events": ["test.event.v1"],
        ])
        let headers = ExtraContracts.headers(TestContracts.v1)
        let value = TestContracts.data(key: "k", seq: 1)
        #expect(
            Self.reason(classifier.classify(Self.message(topic: "t.events", headers: headers, value: value)))
                == "wrong-topic")
        #expect(
            Self.reason(classifier.classify(Self.message(topic: "u.events", headers: headers, value: value)))
                == "handle")
        #expect(
            Self.reason(classifier.classify(Self.message(topic: "g.replay", headers: headers, value: value)))
                == "handle")
        #expect(
            Self.reason(classifier.classify(Self.message(topic: "g.retry.1s", headers: headers, value: value)))
                == "handle")
        let unchecked = try Self.classifier()
        #expect(
            Self.reason(unchecked.classify(Self.message(topic: "t.events", headers: headers, value: value))) == "handle"
        )
    }

    @Test("a NUL byte in the key or in an attribute makes the message undecodable")
    func nulBytes() throws {
        let classifier = try Self.classifier()
        let value = TestContracts.data(key: "k", seq: 1)
        let nulKey = Self.message(
            key: [0x61, 0x00, 0x62], headers: ExtraContracts.headers(TestContracts.v1), value: value)
        #expect(Self.reason(classifier.classify(nulKey)) == "undecodable")
        var envelope = EventEnvelope(
            id: UUID(), type: TestContracts.v1, source: "/tests", time: Date(), subject: "a\u{0}b", correlationID: nil,
            causationID: nil, traceparent: nil)
        #expect(
            Self.reason(classifier.classify(Self.message(headers: envelope.kafkaHeaders(), value: value)))
                == "undecodable")
        envelope.subject = "ab"
        #expect(
            Self.reason(classifier.classify(Self.message(headers: envelope.kafkaHeaders(), value: value))) == "handle")
        let nulData = Array(#"{"key":"a\u0000b","seq":1}"#.utf8)
        #expect(
            Self.reason(classifier.classify(Self.message(headers: envelope.kafkaHeaders(), value: nulData)))
                == "undecodable")
        let escaped = Array(#"{"key":"a\\u0000b","seq":1}"#.utf8)
        #expect(
            Self.reason(classifier.classify(Self.message(headers: envelope.kafkaHeaders(), value: escaped))) == "handle"
        )
    }

    @Test("a message over the limits is oversized before it is decoded")
    func oversized() throws {
        let classifier = try Self.classifier()
        let headers = (0..<65).map { KafkaHeader(key: "h\($0)", string: "v") }
        #expect(Self.reason(classifier.classify(Self.message(headers: headers, value: []))) == "oversized")
    }
}
