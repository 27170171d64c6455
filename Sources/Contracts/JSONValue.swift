/// A JSON document: what contracts validate and upcasters transform.
///
/// Numbers keep integers exact (`Int64` when integral and in range); `1` and `1.0` are
/// equal, as JSON Schema requires. Objects keep their key order for serialisation;
/// equality ignores it.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses UTF-8 JSON text (RFC 8259; a top-level scalar is allowed).
    /// - Throws: `JSONParseError` with the byte offset and what was expected.
    public init(parsing bytes: some Collection<UInt8>) throws {
        var parser = JSONParser(Array(bytes))
        self = try parser.parseDocument()
    }

    /// Parses JSON text.
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    /// The compact JSON text of this value.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        JSONSerializer.write(self, to: &out)
        return out
    }

    /// The compact JSON text as a string.
    public var jsonText: String { String(decoding: serialized(), as: UTF8.self) }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let array) = self { return array }
        return nil
    }

    /// JSON equality: numbers by value, strings by code points (not Unicode canonical
    /// equivalence, which Swift's `String ==` uses), objects ignoring member order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let flag): hasher.combine(flag)
        case .number(let number): hasher.combine(number)
        case .string(let string): hasher.combine(string.utf8.count); for byte in string.utf8 { hasher.combine(byte) }
        case .array(let array): hasher.combine(array)
        case .object(let object): hasher.combine(object)
        }
    }

    /// The JSON Schema type name: null, boolean, integer (integral numbers), number, string, array, object.
    var schemaTypeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let number): return number.isIntegral ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// A JSON number: an exact integer or a double.
public enum JSONNumber: Sendable, Hashable, CustomStringConvertible {
    case int(Int64)
    case double(Double)

    public var doubleValue: Double {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        }
    }

    /// Whether the value is a whole number (`1.0` is).
    public var isIntegral: Bool {
        switch self {
        case .int: return true
        case .double(let value): return value.isFinite && value.rounded() == value
        }
    }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a == b
        default: return lhs.doubleValue == rhs.doubleValue
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(doubleValue)
    }

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value):
            if value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
            return "\(value)"
        }
    }
}

/// A JSON object: members in document order, looked up by key.
public struct JSONObject: Sendable, Hashable {
    public private(set) var keys: [String] = []
    private var storage: [String: JSONValue] = [:]

    public init() {}

    public init(_ members: [(String, JSONValue)]) {
        for (key, value) in members { self[key] = value }
    }

    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public var count: Int { keys.count }

    /// Members in document order.
    public var members: [(key: String, value: JSONValue)] {
        keys.compactMap { key in storage[key].map { (key, $0) } }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.storage == rhs.storage }
    public func hash(into hasher: inout Hasher) { hasher.combine(storage) }
}
