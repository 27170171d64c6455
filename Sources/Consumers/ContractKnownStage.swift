import Contracts

/// A type with no contract in the registry: dead-letter it (`unknown-type`).
struct ContractKnownStage: MessageStage {
    let registry: ContractRegistry

    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        guard let envelope = message.envelope else { return message.missing("envelope") }
        guard registry.contract(for: envelope.type) == nil else { return nil }
        return message.deadLetter(.unknownType, "no contract for \(envelope.type)")
    }
}
