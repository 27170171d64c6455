import Contracts
import Foundation
import Kafka

/// One Kafka message on its way through the ``MessageStage``s: what the stages before
/// have learnt about it. Each stage reads the fields the earlier ones filled in.
struct IncomingMessage: Sendable {
    let message: KafkaConsumerMessage
    /// Where the delivery comes from and which attempt it is.
    let origin: MessageOrigin
    let now: Date
    /// The CloudEvents attributes (``EnvelopeStage``).
    var envelope: EventEnvelope?
    /// The handler of its type and the version it handles (``RouteStage``).
    var entry: EventHandlers.Entry?
    /// The parsed data (``ParseStage``).
    var document: JSONValue?
    /// The data the handler gets: the value, or its upcast (``UpcastStage``).
    var data: [UInt8] = []
    /// The envelope the handler gets: its type is the handled version (``UpcastStage``).
    var delivered: EventEnvelope?

    init(_ message: KafkaConsumerMessage, origin: MessageOrigin, now: Date) {
        self.message = message
        self.origin = origin
        self.now = now
    }

    /// Dead-letter it, with its event id when the envelope was read.
    func deadLetter(_ reason: DeadLetterReason, _ error: String) -> MessageClassifier.Classification {
        .deadLetter(reason, error, attempt: origin.attempt, eventID: envelope?.id)
    }

    /// What a stage meets when an earlier one did not run: a composition error, never input.
    func missing(_ what: String) -> MessageClassifier.Classification {
        deadLetter(.undecodable, "the consumer's message stages are misordered: no \(what) yet")
    }
}
