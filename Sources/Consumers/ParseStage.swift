import Contracts

/// Parses the value as JSON; a message with no value, a value that is not JSON, or JSON
/// with a NUL character (PostgreSQL text cannot hold one) is undecodable.
struct ParseStage: MessageStage {
    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        guard let value = message.message.value else {
            return message.deadLetter(.undecodable, "the message has no value")
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: value)
        } catch {
            return message.deadLetter(.undecodable, "the value is not JSON: \(error)")
        }
        if Self.mayContainNUL(value), Self.containsNUL(document) {
            return message.deadLetter(
                .undecodable, "the data contains a NUL character (\\u0000), which PostgreSQL text cannot hold")
        }
        message.document = document
        message.data = value
        return nil
    }

    /// Whether the raw JSON has `u0000` anywhere (an escaped NUL needs it): a fast pre-check.
    static func mayContainNUL(_ bytes: [UInt8]) -> Bool {
        let pattern: [UInt8] = Array("u0000".utf8)
        guard bytes.count >= pattern.count else { return false }
        var index = 0
        while index <= bytes.count - pattern.count {
            if bytes[index] == 0x75, bytes[index + 1] == 0x30, bytes[index + 2] == 0x30, bytes[index + 3] == 0x30,
                bytes[index + 4] == 0x30
            {
                return true
            }
            index += 1
        }
        return false
    }

    /// Whether a string or member name of `value` contains NUL.
    static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): return text.utf8.contains(0)
        case .array(let items): return items.contains(where: containsNUL)
        case .object(let object):
            return object.members.contains { $0.key.utf8.contains(0) || containsNUL($0.value) }
        case .null, .bool, .number: return false
        }
    }
}
