import Foundation

/// One published event contract: `contracts/<name>/v<N>.schema.json`.
public struct Contract: Sendable {
    public var type: EventType
    /// The compiled schema.
    public var schema: JSONSchema
    /// The schema document as parsed.
    public var document: JSONValue
    /// The file's exact bytes (what the lock file hashes).
    public var bytes: [UInt8]
    /// Path relative to the contracts directory, e.g. `order.placed/v1.schema.json`.
    public var path: String

    public var title: String? { document["title"]?.stringValue }
    public var description: String? { document["description"]?.stringValue }
    /// The `examples` of the schema: instances that must validate.
    public var examples: [JSONValue] { document["examples"]?.arrayValue ?? [] }

    public init(type: EventType, document: JSONValue, bytes: [UInt8], path: String) throws(JSONSchemaError) {
        self.type = type
        self.schema = try JSONSchema(document)
        self.document = document
        self.bytes = bytes
        self.path = path
    }
}

/// A problem found in `contracts/`, the lock file or a compatibility check.
public struct ContractProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file concerned, relative to the project root when known.
    public var file: String
    /// JSON pointer inside the file (`` for the whole file).
    public var pointer: String
    /// The rule broken, e.g. `immutable-published-version`.
    public var rule: String
    public var message: String

    public init(file: String, pointer: String = "", rule: String, message: String) {
        self.file = file
        self.pointer = pointer
        self.rule = rule
        self.message = message
    }

    public var description: String {
        "\(file)\(pointer.isEmpty ? "" : "#\(pointer)"): [\(rule)] \(message)"
    }
}

/// `contracts/` could not be loaded; every problem is listed.
public struct ContractLoadError: Error, Sendable, CustomStringConvertible {
    public var problems: [ContractProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Data that does not satisfy its contract.
public struct ContractViolation: Error, Sendable, CustomStringConvertible {
    public var type: EventType
    /// The validation errors; empty when the data was not JSON (see `reason`).
    public var errors: [ValidationError]
    public var reason: String?

    public var description: String {
        if let reason { return "\(type): \(reason)" }
        return "\(type): " + errors.prefix(5).map(\.description).joined(separator: "; ")
            + (errors.count > 5 ? "; and \(errors.count - 5) more" : "")
    }
}
