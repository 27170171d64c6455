import Foundation

/// Evaluates an instance against compiled nodes, collecting errors and (only when the
/// schema uses `unevaluated*`) the annotations those keywords need.
struct SchemaEvaluator {
    let schema: CompiledSchema
    /// Stop at the first error (validity checks inside `anyOf`, `not`, …).
    var firstErrorOnly = false

    /// What a successful evaluation looked at: evaluated property names and item indices.
    struct Annotations {
        var properties: Set<String> = []
        var items: Set<Int> = []
        var allItems = false

        mutating func merge(_ other: Annotations) {
            properties.formUnion(other.properties)
            items.formUnion(other.items)
            allItems = allItems || other.allItems
        }
    }

    func evaluate(_ node: Int, _ instance: JSONValue, path: String, scope: [String], errors: inout [ValidationError])
        -> Annotations
    {
        let schemaNode = schema.nodes[node]
        if let constant = schemaNode.constant {
            if !constant {
                errors.append(ValidationError(instancePath: path, keyword: "false", schemaPath: schemaNode.location, message: "no value is allowed here"))
            }
            return Annotations()
        }
        var scope = scope
        if schemaNode.isResourceRoot && scope.last != schemaNode.resource { scope.append(schemaNode.resource) }
        var annotations = Annotations()
        for keyword in schemaNode.keywords {
            if firstErrorOnly && !errors.isEmpty { return annotations }
            apply(keyword, schemaNode, instance, path: path, scope: scope, errors: &errors, annotations: &annotations)
        }
        return annotations
    }

    /// Whether `instance` is valid against `node` (annotations of a valid evaluation).
    func check(_ node: Int, _ instance: JSONValue, path: String, scope: [String]) -> Annotations? {
        var errors: [ValidationError] = []
        var quiet = self
        quiet.firstErrorOnly = true
        let annotations = quiet.evaluate(node, instance, path: path, scope: scope, errors: &errors)
        return errors.isEmpty ? annotations : nil
    }

    private func fail(_ errors: inout [ValidationError], _ path: String, _ node: SchemaNode, _ keyword: String, _ message: String) {
        errors.append(ValidationError(instancePath: path, keyword: keyword, schemaPath: "\(node.location)/\(keyword)", message: message))
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private func apply(
        _ keyword: SchemaKeyword, _ node: SchemaNode, _ instance: JSONValue, path: String, scope: [String],
        errors: inout [ValidationError], annotations: inout Annotations
    ) {
        let name = keyword.name
        switch keyword {
        case .type(let types):
            let actual = instance.schemaTypeName
            let ok = types.contains(actual) || (actual == "integer" && types.contains("number"))
            if !ok { fail(&errors, path, node, name, "expected \(types.sorted().joined(separator: " or ")), got \(actual)") }
        case .enumeration(let values):
            if !values.contains(instance) { fail(&errors, path, node, name, "not one of the \(values.count) allowed values") }
        case .constant(let value):
            if value != instance { fail(&errors, path, node, name, "does not equal the required constant") }
        case .required(let names):
            guard case .object(let object) = instance else { return }
            for key in names where object[key] == nil {
                fail(&errors, path, node, name, "missing required property '\(key)'")
            }
        case .properties(let properties):
            guard case .object(let object) = instance else { return }
            for (key, child) in properties {
                guard let value = object[key] else { continue }
                _ = evaluate(child, value, path: path + "/" + JSONPointer.escape(key), scope: scope, errors: &errors)
                annotations.properties.insert(key)
            }
        case .patternProperties(let patterns):
            guard case .object(let object) = instance else { return }
            for (key, value) in object.members {
                for (pattern, child) in patterns where pattern.matches(key) {
                    _ = evaluate(child, value, path: path + "/" + JSONPointer.escape(key), scope: scope, errors: &errors)
                    annotations.properties.insert(key)
                }
            }
        case .additionalProperties(let child, let known, let patterns):
            guard case .object(let object) = instance else { return }
            for (key, value) in object.members where !known.contains(key) && !patterns.contains(where: { $0.matches(key) }) {
                if schema.nodes[child].constant == false {
                    fail(&errors, path, node, name, "property '\(key)' is not allowed")
                } else {
                    _ = evaluate(child, value, path: path + "/" + JSONPointer.escape(key), scope: scope, errors: &errors)
                }
                annotations.properties.insert(key)
            }
        case .propertyNames(let child):
            guard case .object(let object) = instance else { return }
            for key in object.keys where check(child, .string(key), path: path, scope: scope) == nil {
                fail(&errors, path, node, name, "property name '\(key)' is not allowed")
            }
        case .prefixItems(let children):
            guard case .array(let array) = instance else { return }
            for (offset, child) in children.enumerated() where offset < array.count {
                _ = evaluate(child, array[offset], path: path + "/\(offset)", scope: scope, errors: &errors)
                annotations.items.insert(offset)
            }
        case .items(let child, let prefixCount):
            guard case .array(let array) = instance, array.count > prefixCount else { return }
            for offset in prefixCount..<array.count {
                _ = evaluate(child, array[offset], path: path + "/\(offset)", scope: scope, errors: &errors)
            }
            annotations.allItems = true
        case .contains(let child, let minimum, let maximum):
            guard case .array(let array) = instance else { return }
            var matches = 0
            for (offset, element) in array.enumerated() where check(child, element, path: path, scope: scope) != nil {
                matches += 1
                annotations.items.insert(offset)
            }
            if matches < minimum {
                fail(&errors, path, node, minimum == 1 ? name : "minContains", "fewer than \(minimum) items match 'contains'")
            }
            if let maximum, matches > maximum { fail(&errors, path, node, "maxContains", "more than \(maximum) items match 'contains'") }
        case .minItems(let limit):
            if case .array(let array) = instance, array.count < limit { fail(&errors, path, node, name, "fewer than \(limit) items") }
        case .maxItems(let limit):
            if case .array(let array) = instance, array.count > limit { fail(&errors, path, node, name, "more than \(limit) items") }
        case .uniqueItems:
            guard case .array(let array) = instance else { return }
            var seen = Set<JSONValue>()
            for element in array where !seen.insert(element).inserted {
                fail(&errors, path, node, name, "items are not unique")
                return
            }
        case .minLength(let limit):
            if case .string(let string) = instance, string.unicodeScalars.count < limit {
                fail(&errors, path, node, name, "shorter than \(limit) characters")
            }
        case .maxLength(let limit):
            if case .string(let string) = instance, string.unicodeScalars.count > limit {
                fail(&errors, path, node, name, "longer than \(limit) characters")
            }
        case .pattern(let pattern):
            if case .string(let string) = instance, !pattern.matches(string) {
                fail(&errors, path, node, name, "does not match the pattern \(pattern.source)")
            }
        case .minimum(let limit):
            if case .number(let number) = instance, number.doubleValue < limit { fail(&errors, path, node, name, "less than \(limit)") }
        case .maximum(let limit):
            if case .number(let number) = instance, number.doubleValue > limit { fail(&errors, path, node, name, "greater than \(limit)") }
        case .exclusiveMinimum(let limit):
            if case .number(let number) = instance, number.doubleValue <= limit {
                fail(&errors, path, node, name, "not greater than \(limit)")
            }
        case .exclusiveMaximum(let limit):
            if case .number(let number) = instance, number.doubleValue >= limit {
                fail(&errors, path, node, name, "not less than \(limit)")
            }
        case .multipleOf(let divisor):
            guard case .number(let number) = instance else { return }
            if !Self.isMultiple(number, of: divisor) { fail(&errors, path, node, name, "not a multiple of \(divisor)") }
        case .minProperties(let limit):
            if case .object(let object) = instance, object.count < limit { fail(&errors, path, node, name, "fewer than \(limit) properties") }
        case .maxProperties(let limit):
            if case .object(let object) = instance, object.count > limit { fail(&errors, path, node, name, "more than \(limit) properties") }
        case .dependentRequired(let dependencies):
            guard case .object(let object) = instance else { return }
            for (key, needed) in dependencies where object[key] != nil {
                for other in needed where object[other] == nil {
                    fail(&errors, path, node, name, "'\(key)' requires '\(other)'")
                }
            }
        case .dependentSchemas(let dependencies):
            guard case .object(let object) = instance else { return }
            for (key, child) in dependencies where object[key] != nil {
                annotations.merge(evaluate(child, instance, path: path, scope: scope, errors: &errors))
            }
        case .allOf(let children):
            for child in children { annotations.merge(evaluate(child, instance, path: path, scope: scope, errors: &errors)) }
        case .anyOf(let children):
            var matched = false
            for child in children {
                if let found = check(child, instance, path: path, scope: scope) {
                    matched = true
                    annotations.merge(found)
                    if !schema.usesUnevaluated { break }
                }
            }
            if !matched { fail(&errors, path, node, name, "matches none of the \(children.count) alternatives") }
        case .oneOf(let children):
            var matches = 0
            var matchedAnnotations = Annotations()
            for child in children {
                if let found = check(child, instance, path: path, scope: scope) {
                    matches += 1
                    matchedAnnotations = found
                }
            }
            if matches == 1 {
                annotations.merge(matchedAnnotations)
            } else {
                fail(&errors, path, node, name, matches == 0 ? "matches none of the alternatives" : "matches \(matches) alternatives, exactly one is allowed")
            }
        case .not(let child):
            if check(child, instance, path: path, scope: scope) != nil { fail(&errors, path, node, name, "must not match the schema") }
        case .conditional(let condition, let then, let otherwise):
            if let found = check(condition, instance, path: path, scope: scope) {
                annotations.merge(found)
                if let then { annotations.merge(evaluate(then, instance, path: path, scope: scope, errors: &errors)) }
            } else if let otherwise {
                annotations.merge(evaluate(otherwise, instance, path: path, scope: scope, errors: &errors))
            }
        case .ref(let target):
            guard let slot = schema.lookup(target) else {
                fail(&errors, path, node, name, "unresolvable reference")
                return
            }
            annotations.merge(evaluate(slot, instance, path: path, scope: scope, errors: &errors))
        case .dynamicRef(let target, let anchor):
            guard var slot = schema.lookup(target) else {
                fail(&errors, path, node, name, "unresolvable reference")
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
            annotations.merge(evaluate(slot, instance, path: path, scope: scope, errors: &errors))
        case .format(let format):
            guard case .string(let string) = instance, let valid = FormatAssertion.check(format, string), !valid else { return }
            fail(&errors, path, node, name, "not a valid \(format)")
        case .unevaluatedProperties(let child):
            guard case .object(let object) = instance else { return }
            for (key, value) in object.members where !annotations.properties.contains(key) {
                if schema.nodes[child].constant == false {
                    fail(&errors, path, node, name, "property '\(key)' is not allowed")
                } else {
                    _ = evaluate(child, value, path: path + "/" + JSONPointer.escape(key), scope: scope, errors: &errors)
                }
                annotations.properties.insert(key)
            }
        case .unevaluatedItems(let child):
            guard case .array(let array) = instance, !annotations.allItems else { return }
            for (offset, element) in array.enumerated() where !annotations.items.contains(offset) {
                _ = evaluate(child, element, path: path + "/\(offset)", scope: scope, errors: &errors)
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
