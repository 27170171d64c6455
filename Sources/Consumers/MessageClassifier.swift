import Contracts
import Foundation
import Kafka

/// Decides, for one message, before any database work: handle it (decoded, validated,
/// upcast), skip it (a valid event of a type the group does not handle), dead-letter it at
/// once (permanent problems), or wait (a retry not yet due).
struct MessageClassifier: Sendable {
    enum Classification: Sendable {
        case handle(ConsumedEvent, EventHandler)
        /// `eventID` is the message's `ce_id` when it could be read.
        case deadLetter(DeadLetterReason, String, attempt: Int, eventID: UUID?)
        case notDue(Date)
        /// A valid CloudEvent of a type with a contract that the group does not handle.
        case skip
    }

    let registry: ContractRegistry
    let upcasters: Upcasters
    let handlers: EventHandlers
    /// The group's retry topics and their delays.
    let retryDelays: [String: Duration]
    let retryTopics: Set<String>
    /// The group's own topics (retry, replay): they may carry any type it handles.
    let ownTopics: Set<String>
    /// The types each topic declares; `nil`: no check.
    let topicTypes: [String: Set<String>]?
    let limits: MessageLimits

    init(
        registry: ContractRegistry, upcasters: Upcasters, handlers: EventHandlers, retryDelays: [String: Duration],
        ownTopics: Set<String> = [], topicTypes: [String: Set<String>]? = nil, limits: MessageLimits = MessageLimits()
    ) {
        self.registry = registry
        self.upcasters = upcasters
        self.handlers = handlers
        self.retryDelays = retryDelays
        self.retryTopics = Set(retryDelays.keys)
        self.ownTopics = ownTopics.union(retryDelays.keys)
        self.topicTypes = topicTypes
        self.limits = limits
    }

    func origin(_ message: KafkaConsumerMessage, now: Date = Date()) -> MessageOrigin {
        MessageOrigin(message, retryDelay: retryDelays[message.topic], now: now)
    }

    func classify(_ message: KafkaConsumerMessage, now: Date = Date()) -> Classification {
        let origin = origin(message, now: now)
        if let due = origin.dueAt, due > now { return .notDue(due) }
        if let violation = limits.violation(message) {
            let id = message.headers.last { $0.key == "ce_id" }?.stringValue.flatMap { UUIDText.parse($0) }
            return .deadLetter(.oversized, violation, attempt: origin.attempt, eventID: id)
        }
        let envelope: EventEnvelope
        do {
            envelope = try EventEnvelope(kafkaHeaders: message.headers)
        } catch {
            return .deadLetter(.undecodable, "\(error)", attempt: origin.attempt, eventID: nil)
        }
        func deadLetter(_ reason: DeadLetterReason, _ error: String) -> Classification {
            .deadLetter(reason, error, attempt: origin.attempt, eventID: envelope.id)
        }
        if let problem = Self.nulProblem(message, envelope) { return deadLetter(.undecodable, problem) }
        guard registry.contract(for: envelope.type) != nil else {
            return deadLetter(.unknownType, "no contract for \(envelope.type)")
        }
        if let topicTypes, !ownTopics.contains(message.topic), let declared = topicTypes[message.topic],
            !declared.contains(envelope.type.description)
        {
            return deadLetter(.wrongTopic, "\(envelope.type) is not declared for topic \(message.topic)")
        }
        guard let entry = handlers.entries[envelope.type.name] else { return .skip }
        guard let value = message.value else {
            return deadLetter(.undecodable, "the message has no value")
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: value)
        } catch {
            return deadLetter(.undecodable, "the value is not JSON: \(error)")
        }
        if Self.mayContainNUL(value), Self.containsNUL(document) {
            return deadLetter(
                .undecodable, "the data contains a NUL character (\\u0000), which PostgreSQL text cannot hold")
        }
        let problems = registry.validate(document, as: envelope.type)
        if !problems.isEmpty {
            let summary = problems.prefix(3).map { "\($0)" }.joined(separator: "; ")
            return deadLetter(.contractViolation, "\(envelope.type): \(summary)")
        }
        var data = value
        var delivered = envelope
        if envelope.type.version < entry.version {
            do {
                let upcast = try upcasters.upcast(document, from: envelope.type, to: entry.version, registry: registry)
                data = upcast.serialized()
                delivered.type = EventType(name: envelope.type.name, version: entry.version)
            } catch {
                return deadLetter(.contractViolation, "cannot upcast \(envelope.type) to v\(entry.version): \(error)")
            }
        } else if envelope.type.version > entry.version {
            return deadLetter(.unknownType, "\(envelope.type) is newer than the handled v\(entry.version)")
        }
        let event = ConsumedEvent(
            envelope: delivered, data: data, topic: message.topic, partition: message.partition,
            offset: message.offset, key: message.key.flatMap { String(validating: $0, as: UTF8.self) },
            attempt: origin.attempt)
        return .handle(event, entry.handler)
    }

    /// A NUL byte in the key or in an attribute bound to PostgreSQL as text (libpq would
    /// silently cut the text there): the message is undecodable.
    static func nulProblem(_ message: KafkaConsumerMessage, _ envelope: EventEnvelope) -> String? {
        if message.key?.contains(0) == true { return "the key contains a NUL byte" }
        let texts = [
            envelope.source, envelope.type.name, envelope.subject, envelope.correlationID,
            envelope.causationID, envelope.traceparent,
        ]
        if texts.contains(where: { $0?.utf8.contains(0) == true })
            || envelope.extensions.contains(where: {
                $0.key.utf8.contains(0) || $0.value.utf8.contains(0)
            })
        {
            return "a CloudEvents attribute contains a NUL byte"
        }
        return nil
    }

    /// Whether the raw JSON has `u0000` anywhere (an escaped NUL needs it): a fast pre-check.
    static func mayContainNUL(_ bytes: [UInt8]) -> Bool {
        let pattern: [UInt8] = Array("u0000".utf8)
        guard bytes.count >= pattern.count else { return false }
        var index = 0
        while index <= bytes.count - pattern.count {
            if bytes[index] == 0x75, bytes[index + 1] == 0x30, bytes[index + 2] == 0x30, bytes[index + 3] == 0x30,
                bytes[index + 4] == 0x30
            {
                return true
            }
            index += 1
        }
        return false
    }

    /// Whether a string or member name of `value` contains NUL.
    static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): return text.utf8.contains(0)
        case .array(let items): return items.contains(where: containsNUL)
        case .object(let object):
            return object.members.contains { $0.key.utf8.contains(0) || containsNUL($0.value) }
        case .null, .bool, .number: return false
        }
    }
}
