import Foundation

/// Evaluates an instance against compiled nodes, collecting errors and (only when the
/// schema uses `unevaluated*`) the annotations those keywords need.
///
/// Built for the valid case, which is the common one: the instance path is a stack of
/// segments rendered only when an error is recorded, references are node indices, and
/// inside validity checks (`anyOf`, `not`, `isValid`) errors carry no message at all.
struct SchemaEvaluator {
    let schema: CompiledSchema
    /// Stop at the first error and do not format it (validity checks, `isValid`).
    private var firstErrorOnly = false
    /// Where in the instance the evaluation is.
    private var trail: [PathSegment] = []
    /// Resources entered, outermost first, for `$dynamicRef`.
    private var scope: [String] = []
    private let collectsAnnotations: Bool

    enum PathSegment {
        case key(String)
        case index(Int)
    }

    init(schema: CompiledSchema, firstErrorOnly: Bool = false) {
        self.schema = schema
        self.firstErrorOnly = firstErrorOnly
        collectsAnnotations = schema.usesUnevaluated
    }

    /// What a successful evaluation looked at: evaluated property names and item indices.
    struct Annotations {
        var properties: Set<String> = []
        var items: Set<Int> = []
        var allItems = false

        mutating func merge(_ other: Annotations) {
            if !other.properties.isEmpty { properties.formUnion(other.properties) }
            if !other.items.isEmpty { items.formUnion(other.items) }
            allItems = allItems || other.allItems
        }
    }

    mutating func evaluate(_ node: Int, _ instance: JSONValue, errors: inout [ValidationError]) -> Annotations {
        let schemaNode = schema.nodes[node]
        if let constant = schemaNode.constant {
            if !constant { fail(&errors, schemaNode, "false", "no value is allowed here") }
            return Annotations()
        }
        let entersResource = schemaNode.isResourceRoot && scope.last != schemaNode.resource
        if entersResource { scope.append(schemaNode.resource) }
        defer { if entersResource { scope.removeLast() } }
        var annotations = Annotations()
        for keyword in schemaNode.keywords {
            if firstErrorOnly && !errors.isEmpty { return annotations }
            if errors.count >= JSONSchema.maxReportedErrors { return annotations }
            apply(keyword, schemaNode, instance, errors: &errors, annotations: &annotations)
        }
        return annotations
    }

    /// Evaluates a member or element of the current instance.
    private mutating func evaluate(
        _ node: Int, _ instance: JSONValue, at segment: PathSegment, errors: inout [ValidationError]
    ) -> Annotations {
        trail.append(segment)
        defer { trail.removeLast() }
        return evaluate(node, instance, errors: &errors)
    }

    /// Whether `instance` is valid against `node` (annotations of a valid evaluation).
    private mutating func check(_ node: Int, _ instance: JSONValue) -> Annotations? {
        var errors: [ValidationError] = []
        let saved = firstErrorOnly
        firstErrorOnly = true
        defer { firstErrorOnly = saved }
        let annotations = evaluate(node, instance, errors: &errors)
        return errors.isEmpty ? annotations : nil
    }

    private func fail(
        _ errors: inout [ValidationError], _ node: SchemaNode, _ keyword: String, _ message: @autoclosure () -> String
    ) {
        if firstErrorOnly {
            errors.append(ValidationError(instancePath: "", keyword: keyword, schemaPath: "", message: ""))
            return
        }
        guard errors.count < JSONSchema.maxReportedErrors else { return }
        errors.append(
            ValidationError(
                instancePath: renderedPath(), keyword: keyword, schemaPath: "\(node.location)/\(keyword)",
                message: message()))
    }

    /// Instance member names in messages and paths are cut to 64 characters: they come from
    /// the (possibly hostile) instance, and errors are logged and dead-lettered.
    static func clipped(_ key: String) -> String {
        key.count <= 64 ? key : key.prefix(64) + "…"
    }

    private func renderedPath() -> String {
        var path = ""
        for segment in trail {
            switch segment {
            case .key(let key): path += "/" + JSONPointer.escape(Self.clipped(key))
            case .index(let index): path += "/\(index)"
            }
        }
        return path
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private mutating func apply(
        _ keyword: SchemaKeyword, _ node: SchemaNode, _ instance: JSONValue, errors: inout [ValidationError],
        annotations: inout Annotations
    ) {
        let name = keyword.name
        switch keyword {
        case .type(let types):
            if !types.admits(JSONTypeSet(of: instance)) {
                fail(
                    &errors, node, name,
                    "expected \(types.names.joined(separator: " or ")), got \(instance.schemaTypeName)")
            }
        case .enumeration(let values):
            if !values.contains(instance) { fail(&errors, node, name, "not one of the \(values.count) allowed values") }
        case .constant(let value):
            if value != instance { fail(&errors, node, name, "does not equal the required constant") }
        case .required(let names):
            guard case .object(let object) = instance else { return }
            for key in names where object[key] == nil {
                fail(&errors, node, name, "missing required property '\(key)'")
            }
        case .properties(let properties):
            guard case .object(let object) = instance else { return }
            for (key, child) in properties {
                guard let value = object[key] else { continue }
                _ = evaluate(child, value, at: .key(key), errors: &errors)
                if collectsAnnotations { annotations.properties.insert(key) }
            }
        case .patternProperties(let patterns):
            guard case .object(let object) = instance else { return }
            for (key, value) in object.members {
                for (pattern, child) in patterns where pattern.matches(key) {
                    _ = evaluate(child, value, at: .key(key), errors: &errors)
                    if collectsAnnotations { annotations.properties.insert(key) }
                }
            }
        case .additionalProperties(let child, let known, let patterns):
            guard case .object(let object) = instance else { return }
            for (key, value) in object.members
            where !known.contains(key) && !patterns.contains(where: { $0.matches(key) }) {
                if schema.nodes[child].constant == false {
                    fail(&errors, node, name, "property '\(Self.clipped(key))' is not allowed")
                } else {
                    _ = evaluate(child, value, at: .key(key), errors: &errors)
                }
                if collectsAnnotations { annotations.properties.insert(key) }
            }
        case .propertyNames(let child):
            guard case .object(let object) = instance else { return }
            for key in object.keys where check(child, .string(key)) == nil {
                fail(&errors, node, name, "property name '\(Self.clipped(key))' is not allowed")
            }
        case .prefixItems(let children):
            guard case .array(let array) = instance else { return }
            for (offset, child) in children.enumerated() where offset < array.count {
                _ = evaluate(child, array[offset], at: .index(offset), errors: &errors)
                if collectsAnnotations { annotations.items.insert(offset) }
            }
        case .items(let child, let prefixCount):
            guard case .array(let array) = instance, array.count > prefixCount else { return }
            for offset in prefixCount..<array.count {
                _ = evaluate(child, array[offset], at: .index(offset), errors: &errors)
            }
            annotations.allItems = true
        case .contains(let child, let minimum, let maximum):
            guard case .array(let array) = instance else { return }
            var matches = 0
            for (offset, element) in array.enumerated() where check(child, element) != nil {
                matches += 1
                if collectsAnnotations { annotations.items.insert(offset) }
            }
            if matches < minimum {
                fail(&errors, node, minimum == 1 ? name : "minContains", "fewer than \(minimum) items match 'contains'")
            }
            if let maximum, matches > maximum {
                fail(&errors, node, "maxContains", "more than \(maximum) items match 'contains'")
            }
        case .minItems(let limit):
            if case .array(let array) = instance, array.count < limit {
                fail(&errors, node, name, "fewer than \(limit) items")
            }
        case .maxItems(let limit):
            if case .array(let array) = instance, array.count > limit {
                fail(&errors, node, name, "more than \(limit) items")
            }
        case .uniqueItems:
            guard case .array(let array) = instance else { return }
            var seen = Set<JSONValue>()
            for element in array where !seen.insert(element).inserted {
                fail(&errors, node, name, "items are not unique")
                return
            }
        case .minLength(let limit):
            if case .string(let string) = instance, string.unicodeScalars.count < limit {
                fail(&errors, node, name, "shorter than \(limit) characters")
            }
        case .maxLength(let limit):
            if case .string(let string) = instance, string.unicodeScalars.count > limit {
                fail(&errors, node, name, "longer than \(limit) characters")
            }
        case .pattern(let pattern):
            if case .string(let string) = instance, !pattern.matches(string) {
                fail(&errors, node, name, "does not match the pattern \(pattern.source)")
            }
        case .minimum(let limit):
            if case .number(let number) = instance, number.doubleValue < limit {
                fail(&errors, node, name, "less than \(limit)")
            }
        case .maximum(let limit):
            if case .number(let number) = instance, number.doubleValue > limit {
                fail(&errors, node, name, "greater than \(limit)")
            }
        case .exclusiveMinimum(let limit):
            if case .number(let number) = instance, number.doubleValue <= limit {
                fail(&errors, node, name, "not greater than \(limit)")
            }
        case .exclusiveMaximum(let limit):
            if case .number(let number) = instance, number.doubleValue >= limit {
                fail(&errors, node, name, "not less than \(limit)")
            }
        case .multipleOf(let divisor):
            guard case .number(let number) = instance else { return }
            if !Self.isMultiple(number, of: divisor) { fail(&errors, node, name, "not a multiple of \(divisor)") }
        case .minProperties(let limit):
            if case .object(let object) = instance, object.count < limit {
                fail(&errors, node, name, "fewer than \(limit) properties")
            }
        case .maxProperties(let limit):
            if case .object(let object) = instance, object.count > limit {
                fail(&errors, node, name, "more than \(limit) properties")
            }
        case .dependentRequired(let dependencies):
            guard case .object(let object) = instance else { return }
            for (key, needed) in dependencies where object[key] != nil {
                for other in needed where object[other] == nil {
                    fail(&errors, node, name, "'\(key)' requires '\(other)'")
                }
            }
        case .dependentSchemas(let dependencies):
            guard case .object(let object) = instance else { return }
            for (key, child) in dependencies where object[key] != nil {
                annotations.merge(evaluate(child, instance, errors: &errors))
            }
        case .allOf(let children):
            for child in children { annotations.merge(evaluate(child, instance, errors: &errors)) }
        case .anyOf(let children):
            var matched = false
            for child in children {
                if let found = check(child, instance) {
                    matched = true
                    annotations.merge(found)
                    if !schema.usesUnevaluated { break }
                }
            }
            if !matched { fail(&errors, node, name, "matches none of the \(children.count) alternatives") }
        case .oneOf(let children):
            var matches = 0
            var matchedAnnotations = Annotations()
            for child in children {
                if let found = check(child, instance) {
                    matches += 1
                    matchedAnnotations = found
                }
            }
            if matches == 1 {
                annotations.merge(matchedAnnotations)
            } else {
                fail(
                    &errors, node, name,
                    matches == 0
                        ? "matches none of the alternatives" : "matches \(matches) alternatives, exactly one is allowed"
                )
            }
        case .not(let child):
            if check(child, instance) != nil { fail(&errors, node, name, "must not match the schema") }
        case .conditional(let condition, let then, let otherwise):
            if let found = check(condition, instance) {
                annotations.merge(found)
                if let then { annotations.merge(evaluate(then, instance, errors: &errors)) }
            } else if let otherwise {
                annotations.merge(evaluate(otherwise, instance, errors: &errors))
            }
        case .resolvedRef(let slot):
            annotations.merge(evaluate(slot, instance, errors: &errors))
        case .ref(let target):
            guard let slot = schema.lookup(target) else {
                fail(&errors, node, name, "unresolvable reference")
                return
            }
            annotations.merge(evaluate(slot, instance, errors: &errors))
        case .dynamicRef(let target, let anchor):
            guard var slot = schema.lookup(target) else {
                fail(&errors, node, name, "unresolvable reference")
                return
            }
            if let anchor, schema.dynamicAnchors[SchemaURI.split(target).base + "#" + anchor] != nil {
                for resource in scope {
                    if let dynamic = schema.dynamicAnchors[resource + "#" + anchor] {
                        slot = dynamic
                        break
                    }
                }
            }
            annotations.merge(evaluate(slot, instance, errors: &errors))
        case .format(let format):
            guard case .string(let string) = instance, let valid = FormatAssertion.check(format, string), !valid else {
                return
            }
            fail(&errors, node, name, "not a valid \(format)")
        case .unevaluatedProperties(let child):
            guard case .object(let object) = instance else { return }
            for (key, value) in object.members where !annotations.properties.contains(key) {
                if schema.nodes[child].constant == false {
                    fail(&errors, node, name, "property '\(Self.clipped(key))' is not allowed")
                } else {
                    _ = evaluate(child, value, at: .key(key), errors: &errors)
                }
                if collectsAnnotations { annotations.properties.insert(key) }
            }
        case .unevaluatedItems(let child):
            guard case .array(let array) = instance, !annotations.allItems else { return }
            for (offset, element) in array.enumerated() where !annotations.items.contains(offset) {
                _ = evaluate(child, element, at: .index(offset), errors: &errors)
            }
            annotations.allItems = true
        }
    }

    /// `multipleOf` that is exact for integers and tolerant of binary rounding for decimals
    /// (0.0075 is a multiple of 0.0001).
    static func isMultiple(_ number: JSONNumber, of divisor: Double) -> Bool {
        if case .int(let value) = number, divisor.rounded() == divisor, abs(divisor) < 9e18 {
            return value % Int64(divisor) == 0
        }
        let quotient = number.doubleValue / divisor
        guard quotient.isFinite else { return false }
        return abs(quotient - quotient.rounded()) < 1e-9 * max(1, abs(quotient))
    }
}
