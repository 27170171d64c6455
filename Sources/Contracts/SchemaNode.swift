import Foundation

/// One compiled (sub)schema. Nodes live in `CompiledSchema.nodes` and refer to each other
/// by index, so recursive schemas need no reference cycles.
struct SchemaNode: Sendable {
    /// `true`/`false` schemas.
    var constant: Bool?
    var keywords: [SchemaKeyword] = []
    /// JSON pointer of this schema in its document, for error messages.
    var location: String
    /// The base URI of the resource this schema belongs to.
    var resource: String
    /// Whether this schema starts a resource (`$id` or document root): it enters the dynamic scope.
    var isResourceRoot = false
}

/// A regular expression compiled once by `LinearPattern`: matched in linear time, so no
/// attacker-chosen string can make validation slow. Patterns outside its subset
/// (backreferences, lookaround) are refused when the schema is compiled.
struct CompiledPattern: Sendable {
    let source: String
    private let pattern: LinearPattern

    init(_ source: String, location: String) throws(JSONSchemaError) {
        self.source = source
        do {
            pattern = try LinearPattern(source)
        } catch {
            throw JSONSchemaError(
                schemaPath: location,
                message:
                    "regular expression '\(source.prefix(80))' is refused: \(error.reason) (contracts use the linear-time ECMA-262 subset in docs/contracts.md)"
            )
        }
    }

    func matches(_ string: String) -> Bool { pattern.matches(string) }
}

/// A compiled keyword. Subschemas are node indices.
enum SchemaKeyword: Sendable {
    case type(JSONTypeSet)
    case enumeration([JSONValue])
    case constant(JSONValue)
    case required([String])
    case properties([(String, Int)])
    case patternProperties([(CompiledPattern, Int)])
    case additionalProperties(Int, known: Set<String>, patterns: [CompiledPattern])
    case propertyNames(Int)
    case prefixItems([Int])
    case items(Int, prefixCount: Int)
    case contains(Int, min: Int, max: Int?)
    case minItems(Int), maxItems(Int), uniqueItems
    case minLength(Int), maxLength(Int), pattern(CompiledPattern)
    case minimum(Double), maximum(Double), exclusiveMinimum(Double), exclusiveMaximum(Double)
    case multipleOf(Double)
    case minProperties(Int), maxProperties(Int)
    case dependentRequired([(String, [String])])
    case dependentSchemas([(String, Int)])
    case allOf([Int]), anyOf([Int]), oneOf([Int]), not(Int)
    case conditional(if: Int, then: Int?, else: Int?)
    case ref(String)
    /// A `$ref` resolved to its node when the schema was compiled.
    case resolvedRef(Int)
    case dynamicRef(String, anchor: String?)
    case format(String)
    case unevaluatedProperties(Int)
    case unevaluatedItems(Int)

    var name: String {
        switch self {
        case .type: return "type"
        case .enumeration: return "enum"
        case .constant: return "const"
        case .required: return "required"
        case .properties: return "properties"
        case .patternProperties: return "patternProperties"
        case .additionalProperties: return "additionalProperties"
        case .propertyNames: return "propertyNames"
        case .prefixItems: return "prefixItems"
        case .items: return "items"
        case .contains: return "contains"
        case .minItems: return "minItems"
        case .maxItems: return "maxItems"
        case .uniqueItems: return "uniqueItems"
        case .minLength: return "minLength"
        case .maxLength: return "maxLength"
        case .pattern: return "pattern"
        case .minimum: return "minimum"
        case .maximum: return "maximum"
        case .exclusiveMinimum: return "exclusiveMinimum"
        case .exclusiveMaximum: return "exclusiveMaximum"
        case .multipleOf: return "multipleOf"
        case .minProperties: return "minProperties"
        case .maxProperties: return "maxProperties"
        case .dependentRequired: return "dependentRequired"
        case .dependentSchemas: return "dependentSchemas"
        case .allOf: return "allOf"
        case .anyOf: return "anyOf"
        case .oneOf: return "oneOf"
        case .not: return "not"
        case .conditional: return "if"
        case .ref, .resolvedRef: return "$ref"
        case .dynamicRef: return "$dynamicRef"
        case .format: return "format"
        case .unevaluatedProperties: return "unevaluatedProperties"
        case .unevaluatedItems: return "unevaluatedItems"
        }
    }
}

/// A set of JSON Schema type names, as bits: `type` checks without hashing strings.
struct JSONTypeSet: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = JSONTypeSet(rawValue: 1)
    static let boolean = JSONTypeSet(rawValue: 2)
    static let object = JSONTypeSet(rawValue: 4)
    static let array = JSONTypeSet(rawValue: 8)
    static let number = JSONTypeSet(rawValue: 16)
    static let integer = JSONTypeSet(rawValue: 32)
    static let string = JSONTypeSet(rawValue: 64)

    private static let named: [(String, JSONTypeSet)] = [
        ("array", .array), ("boolean", .boolean), ("integer", .integer), ("null", .null), ("number", .number),
        ("object", .object), ("string", .string),
    ]

    init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The set for type names; nil when one is not a JSON Schema type.
    init?(names: some Sequence<String>) {
        var set = JSONTypeSet()
        for name in names {
            guard let bit = Self.named.first(where: { $0.0 == name })?.1 else { return nil }
            set.insert(bit)
        }
        self = set
    }

    /// The type of `value`; integral numbers are `integer` (which `number` also admits).
    init(of value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool: self = .boolean
        case .number(let number): self = number.isIntegral ? .integer : .number
        case .string: self = .string
        case .array: self = .array
        case .object: self = .object
        }
    }

    /// Whether a value of type `actual` (one bit) is admitted.
    func admits(_ actual: JSONTypeSet) -> Bool {
        !isDisjoint(with: actual) || (actual == .integer && contains(.number))
    }

    /// Sorted names, for messages.
    var names: [String] { Self.named.filter { contains($0.1) }.map(\.0) }
}
