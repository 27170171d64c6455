import Contracts

/// A message beyond the group's ``MessageLimits``: dead-letter it (`oversized`) before
/// anything reads it further.
struct LimitsStage: MessageStage {
    let limits: MessageLimits

    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        guard let violation = limits.violation(message.message) else { return nil }
        let id = message.message.headers.last { $0.key == "ce_id" }?.stringValue.flatMap { UUIDText.parse($0) }
        return .deadLetter(.oversized, violation, attempt: message.origin.attempt, eventID: id)
    }
}
