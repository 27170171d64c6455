import Contracts
import Kafka

/// A NUL byte in the key or in an attribute bound to PostgreSQL as text (libpq would
/// silently cut the text there): the message is undecodable.
struct NULStage: MessageStage {
    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        guard let envelope = message.envelope else { return message.missing("envelope") }
        guard let problem = Self.problem(message.message, envelope) else { return nil }
        return message.deadLetter(.undecodable, problem)
    }

    static func problem(_ message: KafkaConsumerMessage, _ envelope: EventEnvelope) -> String? {
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
}
