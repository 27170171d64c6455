import Contracts
import Foundation
import Kafka

/// Decides, for one message, before any database work: handle it (decoded, validated,
/// upcast), skip it (a valid event of a type the group does not handle), dead-letter it at
/// once (permanent problems), or wait (a retry not yet due).
///
/// It is the composition of its ``MessageStage``s, run in order until one stops the
/// message: ``DueStage`` → ``LimitsStage`` → ``EnvelopeStage`` → ``NULStage`` →
/// ``ContractKnownStage`` → ``TopicTypeStage`` (when topics declare their types) →
/// ``RouteStage`` → ``ParseStage`` → ``ValidateStage`` → ``UpcastStage``. A message no
/// stage stops is handled.
struct MessageClassifier: Sendable {
    enum Classification: Sendable {
        case handle(ConsumedEvent, EventHandler)
        /// `eventID` is the message's `ce_id` when it could be read.
        case deadLetter(DeadLetterReason, String, attempt: Int, eventID: UUID?)
        case notDue(Date)
        /// A valid CloudEvent of a type with a contract that the group does not handle.
        case skip
    }

    /// The group's retry topics and their delays.
    let retryDelays: [String: Duration]
    let stages: [any MessageStage]

    init(
        registry: ContractRegistry, upcasters: Upcasters, handlers: EventHandlers, retryDelays: [String: Duration],
        ownTopics: Set<String> = [], topicTypes: [String: Set<String>]? = nil, limits: MessageLimits = MessageLimits()
    ) {
        self.retryDelays = retryDelays
        var stages: [any MessageStage] = [
            DueStage(), LimitsStage(limits: limits), EnvelopeStage(), NULStage(),
            ContractKnownStage(registry: registry),
        ]
        if let topicTypes {
            // The group's own topics (retry, replay) may carry any type it handles.
            stages.append(TopicTypeStage(ownTopics: ownTopics.union(retryDelays.keys), topicTypes: topicTypes))
        }
        stages += [
            RouteStage(handlers: handlers), ParseStage(), ValidateStage(registry: registry),
            UpcastStage(registry: registry, upcasters: upcasters),
        ]
        self.stages = stages
    }

    func origin(_ message: KafkaConsumerMessage, now: Date = Date()) -> MessageOrigin {
        MessageOrigin(message, retryDelay: retryDelays[message.topic], now: now)
    }

    func classify(_ message: KafkaConsumerMessage, now: Date = Date()) -> Classification {
        var incoming = IncomingMessage(message, origin: origin(message, now: now), now: now)
        for stage in stages {
            if let verdict = stage.apply(&incoming) { return verdict }
        }
        guard let delivered = incoming.delivered, let entry = incoming.entry else {
            return incoming.missing("upcast event")
        }
        let event = ConsumedEvent(
            envelope: delivered, data: incoming.data, topic: message.topic, partition: message.partition,
            offset: message.offset, key: message.key.flatMap { String(validating: $0, as: UTF8.self) },
            attempt: incoming.origin.attempt)
        return .handle(event, entry.handler)
    }
}
