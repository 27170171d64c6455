import Contracts

/// Brings an older version up to the version the handler takes (through the group's
/// upcasters); a newer version than the handler's is an unknown type.
struct UpcastStage: MessageStage {
    let registry: ContractRegistry
    let upcasters: Upcasters

    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        guard let envelope = message.envelope, let entry = message.entry, let document = message.document else {
            return message.missing("routed, parsed event")
        }
        message.delivered = envelope
        if envelope.type.version < entry.version {
            do {
                let upcast = try upcasters.upcast(document, from: envelope.type, to: entry.version, registry: registry)
                message.data = upcast.serialized()
                message.delivered?.type = EventType(name: envelope.type.name, version: entry.version)
            } catch {
                return message.deadLetter(
                    .contractViolation, "cannot upcast \(envelope.type) to v\(entry.version): \(error)")
            }
        } else if envelope.type.version > entry.version {
            return message.deadLetter(.unknownType, "\(envelope.type) is newer than the handled v\(entry.version)")
        }
        return nil
    }
}
