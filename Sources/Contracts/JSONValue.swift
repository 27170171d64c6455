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
///
/// Small objects (the usual event payload) are searched linearly, which beats hashing;
/// objects with more than `indexThreshold` members also keep a key → position index.
public struct JSONObject: Sendable, Hashable {
    /// Members in document order.
    public private(set) var members: [(key: String, value: JSONValue)] = []
    private var index: [String: Int]?
    private static let indexThreshold = 16

    public init() {}

    public init(_ members: [(String, JSONValue)]) {
        self.members.reserveCapacity(members.count)
        for (key, value) in members { self[key] = value }
    }

    /// Keys in document order.
    public var keys: [String] { members.map(\.key) }

    public var count: Int { members.count }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        for position in members.indices where members[position].key == key { return position }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let position = position(of: key) {
                if let newValue {
                    members[position].value = newValue
                } else {
                    members.remove(at: position)
                    rebuildIndex()
                }
            } else if let newValue {
                members.append((key, newValue))
                if index != nil {
                    index?[key] = members.count - 1
                } else if members.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    private mutating func rebuildIndex() {
        guard members.count > Self.indexThreshold else {
            index = nil
            return
        }
        var built: [String: Int] = [:]
        built.reserveCapacity(members.count)
        for (position, member) in members.enumerated() { built[member.key] = position }
        index = built
    }

    /// Equal when both have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs.members {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }

    /// Order-independent: the members' hashes are combined commutatively.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for (key, value) in members {
            var member = Hasher()
            member.combine(key)
            member.combine(value)
            combined = combined &+ member.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(combined)
    }
}
