/// One way an instance fails its schema.
public struct ValidationError: Sendable, Hashable, CustomStringConvertible {
    /// JSON pointer of the failing value in the instance, e.g. `/items/0/sku` (`` for the root).
    public var instancePath: String
    /// The keyword that failed, e.g. `required`.
    public var keyword: String
    /// JSON pointer of the keyword in the schema, e.g. `#/properties/items/items/required`.
    public var schemaPath: String
    /// What is wrong, without echoing the payload.
    public var message: String

    public var description: String {
        "\(instancePath.isEmpty ? "/" : instancePath): \(keyword): \(message)"
    }
}

/// The schema itself is unusable (not a schema, an unresolvable `$ref`, a bad regex).
public struct JSONSchemaError: Error, Sendable, CustomStringConvertible {
    /// JSON pointer of the problem in the schema.
    public var schemaPath: String
    public var message: String
    public var description: String { "\(schemaPath): \(message)" }
}

/// JSON pointer helpers.
enum JSONPointer {
    static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func unescape(_ token: Substring) -> String {
        token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }

    /// Resolves `pointer` (without the leading `#`) in `document`.
    static func resolve(_ pointer: String, in document: JSONValue) -> JSONValue? {
        guard !pointer.isEmpty else { return document }
        guard pointer.hasPrefix("/") else { return nil }
        var current = document
        for rawToken in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = unescape(rawToken)
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(token), array.indices.contains(index), String(index) == token else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}
