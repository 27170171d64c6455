/// A retry delivery whose due time has not come: wait for it.
struct DueStage: MessageStage {
    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        if let due = message.origin.dueAt, due > message.now { return .notDue(due) }
        return nil
    }
}
