/// One step of ``MessageClassifier``: per Kafka message, before any database work, pure
/// (no I/O). It looks at the message (and what the stages before it found), may fill in
/// more, and either lets it go on (`nil`) or stops it with a verdict: skip, dead-letter
/// at once, or wait (a retry not yet due).
///
/// The classifier runs its stages in order: due time → limits → envelope → NUL check →
/// contract known → topic declares the type → route (handler or skip) → parse JSON →
/// validate → upcast.
protocol MessageStage: Sendable {
    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification?
}
