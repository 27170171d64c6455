import Foundation

/// The compiled form of a schema document, shared by every validation.
final class CompiledSchema: Sendable {
    let nodes: [SchemaNode]
    let root: Int
    let index: [String: Int]
    let dynamicAnchors: [String: Int]
    let usesUnevaluated: Bool

    init(_ compiler: SchemaCompiler, root: Int) {
        index = compiler.index
        // References are resolved once here, not looked up by URI on every validation.
        var nodes = compiler.nodes
        for slot in nodes.indices {
            for position in nodes[slot].keywords.indices {
                guard case .ref(let uri) = nodes[slot].keywords[position] else { continue }
                if let target = Self.lookup(uri, in: compiler.index) {
                    nodes[slot].keywords[position] = .resolvedRef(target)
                }
            }
        }
        self.nodes = nodes
        dynamicAnchors = compiler.dynamicAnchors
        usesUnevaluated = compiler.usesUnevaluated
        self.root = root
    }

    func lookup(_ uri: String) -> Int? { Self.lookup(uri, in: index) }

    private static func lookup(_ uri: String, in index: [String: Int]) -> Int? {
        if let slot = index[uri] { return slot }
        let (base, fragment) = SchemaURI.split(uri)
        guard let fragment, !fragment.isEmpty else { return index[base + "#"] ?? index[base] }
        if let decoded = fragment.removingPercentEncoding, decoded != fragment { return index[base + "#" + decoded] }
        return nil
    }
}

/// A JSON Schema (draft 2020-12), compiled once and validated many times.
///
/// Supports the keywords contracts use — type, enum, const, required, properties,
/// additionalProperties, patternProperties, propertyNames, items, prefixItems, contains,
/// min/maxContains, min/maxItems, uniqueItems, min/maxLength, pattern, minimum, maximum,
/// exclusiveMinimum/Maximum, multipleOf, min/maxProperties, dependentRequired,
/// dependentSchemas, allOf, anyOf, oneOf, not, if/then/else, `$ref` within the document
/// (`$defs`, JSON pointers, `$id`, `$anchor`), `$dynamicRef`, unevaluatedProperties/Items,
/// boolean schemas — and asserts `format` for date-time, date, time, uuid and email.
/// Remote references are not fetched. Thread-safe: share one instance.
public struct JSONSchema: Sendable {
    let compiled: CompiledSchema

    /// `validate` reports at most this many errors; an instance with more is still invalid.
    public static let maxReportedErrors = 100

    /// Compiles `schema`.
    /// - Throws: `JSONSchemaError` when it is not a usable schema.
    public init(_ schema: JSONValue) throws(JSONSchemaError) {
        var compiler = SchemaCompiler()
        let root = try compiler.compileRoot(schema)
        compiled = CompiledSchema(compiler, root: root)
        try SchemaCycleCheck.check(compiled)
    }

    /// Parses and compiles schema text.
    public init(data: some Collection<UInt8>) throws {
        try self.init(try JSONValue(parsing: data))
    }

    /// The ways `instance` fails, at most `maxReportedErrors` (empty when valid).
    public func validate(_ instance: JSONValue) -> [ValidationError] {
        var errors: [ValidationError] = []
        var evaluator = SchemaEvaluator(schema: compiled)
        _ = evaluator.evaluate(compiled.root, instance, errors: &errors)
        return errors
    }

    /// Whether `instance` is valid (stops at the first error).
    public func isValid(_ instance: JSONValue) -> Bool {
        var errors: [ValidationError] = []
        var evaluator = SchemaEvaluator(schema: compiled, firstErrorOnly: true)
        _ = evaluator.evaluate(compiled.root, instance, errors: &errors)
        return errors.isEmpty
    }
}
