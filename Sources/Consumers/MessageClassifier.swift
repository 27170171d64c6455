import Contracts
import Foundation
import Kafka

/// Decides, for one message, before any database work: handle it (decoded, validated,
/// upcast), dead-letter it at once (permanent problems), or wait (a retry not yet due).
struct MessageClassifier: Sendable {
    enum Classification: Sendable {
        case handle(ConsumedEvent, EventHandler)
        case deadLetter(DeadLetterReason, String, attempt: Int)
        case notDue(Date)
    }

    let registry: ContractRegistry
    let upcasters: Upcasters
    let handlers: EventHandlers
    let retryTopics: Set<String>

    func classify(_ message: KafkaConsumerMessage, now: Date = Date()) -> Classification {
        let origin = MessageOrigin(message, fromRetryTopic: retryTopics.contains(message.topic))
        if let due = origin.dueAt, due > now { return .notDue(due) }
        let envelope: EventEnvelope
        do {
            envelope = try EventEnvelope(kafkaHeaders: message.headers)
        } catch {
            return .deadLetter(.undecodable, "\(error)", attempt: origin.attempt)
        }
        guard let entry = handlers.entries[envelope.type.name] else {
            return .deadLetter(.unknownType, "no handler for \(envelope.type)", attempt: origin.attempt)
        }
        guard registry.contract(for: envelope.type) != nil else {
            return .deadLetter(.unknownType, "no contract for \(envelope.type)", attempt: origin.attempt)
        }
        guard let value = message.value else {
            return .deadLetter(.undecodable, "the message has no value", attempt: origin.attempt)
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: value)
        } catch {
            return .deadLetter(.undecodable, "the value is not JSON: \(error)", attempt: origin.attempt)
        }
        let problems = registry.validate(document, as: envelope.type)
        if !problems.isEmpty {
            let summary = problems.prefix(3).map { "\($0)" }.joined(separator: "; ")
            return .deadLetter(.contractViolation, "\(envelope.type): \(summary)", attempt: origin.attempt)
        }
        var data = value
        var delivered = envelope
        if envelope.type.version < entry.version {
            do {
                let upcast = try upcasters.upcast(document, from: envelope.type, to: entry.version, registry: registry)
                data = upcast.serialized()
                delivered.type = EventType(name: envelope.type.name, version: entry.version)
            } catch {
                return .deadLetter(
                    .contractViolation, "cannot upcast \(envelope.type) to v\(entry.version): \(error)",
                    attempt: origin.attempt)
            }
        } else if envelope.type.version > entry.version {
            return .deadLetter(
                .unknownType, "\(envelope.type) is newer than the handled v\(entry.version)",
                attempt: origin.attempt)
        }
        let event = ConsumedEvent(
            envelope: delivered, data: data, topic: message.topic, partition: message.partition,
            offset: message.offset, key: message.key.flatMap { String(validating: $0, as: UTF8.self) },
            attempt: origin.attempt)
        return .handle(event, entry.handler)
    }
}
