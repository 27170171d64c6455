import Contracts

/// Validates the data against its type's contract; a violation is dead-lettered
/// (`contract-violation`) with the first three problems.
struct ValidateStage: MessageStage {
    let registry: ContractRegistry

    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        guard let envelope = message.envelope, let document = message.document else {
            return message.missing("parsed event")
        }
        let problems = registry.validate(document, as: envelope.type)
        guard !problems.isEmpty else { return nil }
        let summary = problems.prefix(3).map { "\($0)" }.joined(separator: "; ")
        return message.deadLetter(.contractViolation, "\(envelope.type): \(summary)")
    }
}
