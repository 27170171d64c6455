import Foundation

/// Compiles a JSON Schema document into `SchemaNode`s, once.
struct SchemaCompiler {
    private(set) var nodes: [SchemaNode] = []
    /// Absolute URI (`base#/pointer` or `base#anchor` or `base`) → node index.
    private(set) var index: [String: Int] = [:]
    /// `resource#name` → node for `$dynamicAnchor`s.
    private(set) var dynamicAnchors: [String: Int] = [:]
    /// Raw documents of every resource, to compile pointer targets found only by `$ref`.
    private var resources: [String: JSONValue] = [:]
    private(set) var usesUnevaluated = false

    /// The enclosing resources of the schema being compiled: base and pointer prefix.
    private struct Scope {
        var base: String
        var pointer: String
    }

    mutating func compileRoot(_ schema: JSONValue) throws(JSONSchemaError) -> Int {
        let root = try compile(schema, scopes: [Scope(base: SchemaURI.defaultBase, pointer: "")], location: "#")
        try resolvePendingReferences()
        return root
    }

    private mutating func compile(_ schema: JSONValue, scopes inherited: [Scope], location: String)
        throws(JSONSchemaError) -> Int
    {
        var scopes = inherited
        let slot = nodes.count
        nodes.append(SchemaNode(location: location, resource: scopes[scopes.count - 1].base))
        switch schema {
        case .bool(let value):
            nodes[slot].constant = value
            register(slot, scopes: scopes)
            return slot
        case .object(let object):
            if let id = object["$id"]?.stringValue {
                let base = SchemaURI.split(SchemaURI.resolve(id, against: scopes[scopes.count - 1].base)).base
                scopes.append(Scope(base: base, pointer: ""))
                nodes[slot].resource = base
                nodes[slot].isResourceRoot = true
                resources[base] = schema
                index[base] = slot
            } else if inherited.count == 1 && location == "#" {
                nodes[slot].isResourceRoot = true
                resources[scopes[0].base] = schema
                index[scopes[0].base] = slot
            }
            register(slot, scopes: scopes)
            let base = scopes[scopes.count - 1].base
            if let anchor = object["$anchor"]?.stringValue { index[base + "#" + anchor] = slot }
            if let anchor = object["$dynamicAnchor"]?.stringValue {
                index[base + "#" + anchor] = slot
                dynamicAnchors[base + "#" + anchor] = slot
            }
            nodes[slot].keywords = try keywords(of: object, scopes: scopes, location: location)
            return slot
        default:
            throw JSONSchemaError(schemaPath: location, message: "a schema must be an object or a boolean")
        }
    }

    /// Registers `slot` under its pointer from every enclosing resource.
    private mutating func register(_ slot: Int, scopes: [Scope]) {
        for scope in scopes {
            index[scope.base + "#" + scope.pointer] = index[scope.base + "#" + scope.pointer] ?? slot
        }
    }

    private func child(_ scopes: [Scope], _ tokens: String...) -> [Scope] {
        let suffix = tokens.map { "/" + JSONPointer.escape($0) }.joined()
        return scopes.map { Scope(base: $0.base, pointer: $0.pointer + suffix) }
    }

    private mutating func sub(_ value: JSONValue, _ scopes: [Scope], _ location: String, _ tokens: String...)
        throws(JSONSchemaError) -> Int
    {
        let suffix = tokens.map { "/" + JSONPointer.escape($0) }.joined()
        let childScopes = scopes.map { Scope(base: $0.base, pointer: $0.pointer + suffix) }
        return try compile(value, scopes: childScopes, location: location + suffix)
    }

    private mutating func keywords(of object: JSONObject, scopes: [Scope], location: String) throws(JSONSchemaError)
        -> [SchemaKeyword]
    {
        var keywords: [SchemaKeyword] = []
        let base = scopes[scopes.count - 1].base
        func fail(_ keyword: String, _ message: String) -> JSONSchemaError {
            JSONSchemaError(schemaPath: "\(location)/\(keyword)", message: message)
        }
        func nonNegative(_ keyword: String) throws(JSONSchemaError) -> Int? {
            guard let value = object[keyword] else { return nil }
            guard case .number(let number) = value, number.isIntegral, number.doubleValue >= 0 else {
                throw fail(keyword, "must be a non-negative integer")
            }
            return Int(min(number.doubleValue, Double(Int.max / 2)))
        }
        func number(_ keyword: String) throws(JSONSchemaError) -> Double? {
            guard let value = object[keyword] else { return nil }
            guard case .number(let number) = value else { throw fail(keyword, "must be a number") }
            return number.doubleValue
        }
        func schemaArray(_ keyword: String) throws(JSONSchemaError) -> [Int]? {
            guard let value = object[keyword] else { return nil }
            guard case .array(let array) = value, !array.isEmpty else {
                throw fail(keyword, "must be a non-empty array of schemas")
            }
            var result: [Int] = []
            for (offset, element) in array.enumerated() {
                result.append(try sub(element, scopes, location, keyword, String(offset)))
            }
            return result
        }
        func stringArray(_ value: JSONValue, _ keyword: String) throws(JSONSchemaError) -> [String] {
            guard case .array(let array) = value else { throw fail(keyword, "must be an array of strings") }
            var strings: [String] = []
            for element in array {
                guard let string = element.stringValue else { throw fail(keyword, "must be an array of strings") }
                strings.append(string)
            }
            return strings
        }

        // Definitions are compiled so that references can reach them.
        for container in ["$defs", "definitions"] {
            guard let defs = object[container] else { continue }
            guard case .object(let members) = defs else { throw fail(container, "must be an object of schemas") }
            for (name, value) in members.members { _ = try sub(value, scopes, location, container, name) }
        }
        if let ref = object["$ref"] {
            guard let text = ref.stringValue else { throw fail("$ref", "must be a string") }
            keywords.append(.ref(SchemaURI.normalize(SchemaURI.resolve(text, against: base))))
        }
        if let ref = object["$dynamicRef"] {
            guard let text = ref.stringValue else { throw fail("$dynamicRef", "must be a string") }
            let target = SchemaURI.normalize(SchemaURI.resolve(text, against: base))
            let fragment = SchemaURI.split(target).fragment
            let anchor = fragment.flatMap { $0.hasPrefix("/") || $0.isEmpty ? nil : $0 }
            keywords.append(.dynamicRef(target, anchor: anchor))
        }
        if let type = object["type"] {
            var names: [String] = []
            switch type {
            case .string(let name): names = [name]
            case .array(let array): names = array.compactMap(\.stringValue)
            default: throw fail("type", "must be a type name or an array of them")
            }
            guard let types = JSONTypeSet(names: names), !types.isEmpty else { throw fail("type", "unknown type name") }
            keywords.append(.type(types))
        }
        if let values = object["enum"] {
            guard case .array(let array) = values else { throw fail("enum", "must be an array") }
            keywords.append(.enumeration(array))
        }
        if let value = object["const"] { keywords.append(.constant(value)) }
        if let required = object["required"] { keywords.append(.required(try stringArray(required, "required"))) }
        var known: Set<String> = []
        var patterns: [CompiledPattern] = []
        if let properties = object["properties"] {
            guard case .object(let members) = properties else {
                throw fail("properties", "must be an object of schemas")
            }
            var compiled: [(String, Int)] = []
            for (name, value) in members.members {
                compiled.append((name, try sub(value, scopes, location, "properties", name)))
                known.insert(name)
            }
            keywords.append(.properties(compiled))
        }
        if let properties = object["patternProperties"] {
            guard case .object(let members) = properties else {
                throw fail("patternProperties", "must be an object of schemas")
            }
            var compiled: [(CompiledPattern, Int)] = []
            for (pattern, value) in members.members {
                let regex = try CompiledPattern(pattern, location: "\(location)/patternProperties")
                patterns.append(regex)
                compiled.append((regex, try sub(value, scopes, location, "patternProperties", pattern)))
            }
            keywords.append(.patternProperties(compiled))
        }
        if let additional = object["additionalProperties"] {
            keywords.append(
                .additionalProperties(
                    try sub(additional, scopes, location, "additionalProperties"), known: known, patterns: patterns))
        }
        if let names = object["propertyNames"] {
            keywords.append(.propertyNames(try sub(names, scopes, location, "propertyNames")))
        }
        var prefixCount = 0
        if let prefix = try schemaArray("prefixItems") {
            prefixCount = prefix.count
            keywords.append(.prefixItems(prefix))
        }
        if let items = object["items"] {
            keywords.append(.items(try sub(items, scopes, location, "items"), prefixCount: prefixCount))
        }
        if let contains = object["contains"] {
            let node = try sub(contains, scopes, location, "contains")
            keywords.append(
                .contains(node, min: try nonNegative("minContains") ?? 1, max: try nonNegative("maxContains")))
        }
        if let value = try nonNegative("minItems") { keywords.append(.minItems(value)) }
        if let value = try nonNegative("maxItems") { keywords.append(.maxItems(value)) }
        if case .bool(true) = object["uniqueItems"] { keywords.append(.uniqueItems) }
        if let value = try nonNegative("minLength") { keywords.append(.minLength(value)) }
        if let value = try nonNegative("maxLength") { keywords.append(.maxLength(value)) }
        if let pattern = object["pattern"] {
            guard let text = pattern.stringValue else { throw fail("pattern", "must be a string") }
            keywords.append(.pattern(try CompiledPattern(text, location: "\(location)/pattern")))
        }
        if let value = try number("minimum") { keywords.append(.minimum(value)) }
        if let value = try number("maximum") { keywords.append(.maximum(value)) }
        if let value = try number("exclusiveMinimum") { keywords.append(.exclusiveMinimum(value)) }
        if let value = try number("exclusiveMaximum") { keywords.append(.exclusiveMaximum(value)) }
        if let value = try number("multipleOf") {
            guard value > 0 else { throw fail("multipleOf", "must be greater than 0") }
            keywords.append(.multipleOf(value))
        }
        if let value = try nonNegative("minProperties") { keywords.append(.minProperties(value)) }
        if let value = try nonNegative("maxProperties") { keywords.append(.maxProperties(value)) }
        if let dependent = object["dependentRequired"] {
            guard case .object(let members) = dependent else { throw fail("dependentRequired", "must be an object") }
            var compiled: [(String, [String])] = []
            for (name, value) in members.members {
                compiled.append((name, try stringArray(value, "dependentRequired")))
            }
            keywords.append(.dependentRequired(compiled))
        }
        if let dependent = object["dependentSchemas"] {
            guard case .object(let members) = dependent else { throw fail("dependentSchemas", "must be an object") }
            var compiled: [(String, Int)] = []
            for (name, value) in members.members {
                compiled.append((name, try sub(value, scopes, location, "dependentSchemas", name)))
            }
            keywords.append(.dependentSchemas(compiled))
        }
        if let all = try schemaArray("allOf") { keywords.append(.allOf(all)) }
        if let any = try schemaArray("anyOf") { keywords.append(.anyOf(any)) }
        if let one = try schemaArray("oneOf") { keywords.append(.oneOf(one)) }
        if let not = object["not"] { keywords.append(.not(try sub(not, scopes, location, "not"))) }
        if let condition = object["if"] {
            let ifNode = try sub(condition, scopes, location, "if")
            var thenNode: Int?
            var elseNode: Int?
            if let then = object["then"] { thenNode = try sub(then, scopes, location, "then") }
            if let otherwise = object["else"] { elseNode = try sub(otherwise, scopes, location, "else") }
            keywords.append(.conditional(if: ifNode, then: thenNode, else: elseNode))
        } else {
            // `then`/`else` without `if` do nothing, but may be reference targets.
            if let then = object["then"] { _ = try sub(then, scopes, location, "then") }
            if let otherwise = object["else"] { _ = try sub(otherwise, scopes, location, "else") }
        }
        if let format = object["format"]?.stringValue { keywords.append(.format(format)) }
        if let unevaluated = object["unevaluatedProperties"] {
            usesUnevaluated = true
            keywords.append(.unevaluatedProperties(try sub(unevaluated, scopes, location, "unevaluatedProperties")))
        }
        if let unevaluated = object["unevaluatedItems"] {
            usesUnevaluated = true
            keywords.append(.unevaluatedItems(try sub(unevaluated, scopes, location, "unevaluatedItems")))
        }
        return keywords
    }

    /// Makes sure every `$ref` target exists, compiling pointer targets that only a
    /// reference reaches (inside unknown keywords).
    private mutating func resolvePendingReferences() throws(JSONSchemaError) {
        var checked = 0
        while checked < nodes.count {
            let node = nodes[checked]
            checked += 1
            for keyword in node.keywords {
                let target: String
                switch keyword {
                case .ref(let uri): target = uri
                case .dynamicRef(let uri, _): target = uri
                default: continue
                }
                if lookup(target) != nil { continue }
                let (base, fragment) = SchemaURI.split(target)
                guard let document = resources[base] else {
                    throw JSONSchemaError(
                        schemaPath: node.location,
                        message: "cannot resolve $ref '\(target)': remote references are not supported")
                }
                guard let fragment, fragment.hasPrefix("/"),
                    let decoded = fragment.removingPercentEncoding,
                    let value = JSONPointer.resolve(decoded, in: document)
                else {
                    throw JSONSchemaError(schemaPath: node.location, message: "cannot resolve $ref '\(target)'")
                }
                let slot = try compile(value, scopes: [Scope(base: base, pointer: decoded)], location: "#" + decoded)
                index[target] = slot
            }
        }
    }

    /// The node a reference names.
    func lookup(_ uri: String) -> Int? {
        if let slot = index[uri] { return slot }
        let (base, fragment) = SchemaURI.split(uri)
        if fragment == nil || fragment == "" { return index[base + "#"] ?? index[base] }
        if let fragment, let decoded = fragment.removingPercentEncoding, decoded != fragment {
            return index[base + "#" + decoded]
        }
        return nil
    }
}
