/// Finds the handler of the event's type; a valid event of a type the group does not
/// handle is skipped.
struct RouteStage: MessageStage {
    let handlers: EventHandlers

    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        guard let envelope = message.envelope else { return message.missing("envelope") }
        guard let entry = handlers.entries[envelope.type.name] else { return .skip }
        message.entry = entry
        return nil
    }
}
