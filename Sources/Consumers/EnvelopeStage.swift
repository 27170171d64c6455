import Contracts

/// Reads the CloudEvents attributes from the headers; a message without a valid envelope
/// is undecodable.
struct EnvelopeStage: MessageStage {
    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        do {
            message.envelope = try EventEnvelope(kafkaHeaders: message.message.headers)
            return nil
        } catch {
            return .deadLetter(.undecodable, "\(error)", attempt: message.origin.attempt, eventID: nil)
        }
    }
}
