/// Refuses schemas whose references loop without consuming input (`{"$ref":"#"}`, two `$defs`
/// naming each other): evaluating them would recurse forever on any instance.
///
/// Only applicators that evaluate the *same* instance count as edges (`$ref`, `$dynamicRef`
/// at its static target, `allOf`/`anyOf`/`oneOf`/`not`, `if`/`then`/`else`,
/// `dependentSchemas`); a loop through `properties`, `items` and the like descends into the
/// instance, so it ends with the instance and is allowed.
enum SchemaCycleCheck {
    static func check(_ schema: CompiledSchema) throws(JSONSchemaError) {
        let nodes = schema.nodes
        // 0 = unvisited, 1 = on the current path, 2 = done.
        var state = [UInt8](repeating: 0, count: nodes.count)
        for start in nodes.indices where state[start] == 0 {
            // Iterative depth-first search: (node, next edge to follow).
            var stack: [(node: Int, edges: [Int], next: Int)] = [(start, inPlaceTargets(of: start, in: schema), 0)]
            state[start] = 1
            while let top = stack.last {
                guard top.next < top.edges.count else {
                    state[top.node] = 2
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let target = top.edges[top.next]
                switch state[target] {
                case 0:
                    state[target] = 1
                    stack.append((target, inPlaceTargets(of: target, in: schema), 0))
                case 1:
                    let loop = stack.drop { $0.node != target }.map { nodes[$0.node].location }
                    throw JSONSchemaError(
                        schemaPath: nodes[target].location,
                        message:
                            "$ref cycle that consumes no input: \((loop + [nodes[target].location]).prefix(8).joined(separator: " -> "))"
                    )
                default: continue
                }
            }
        }
    }

    /// The nodes that `node` applies to the same instance.
    private static func inPlaceTargets(of node: Int, in schema: CompiledSchema) -> [Int] {
        var targets: [Int] = []
        for keyword in schema.nodes[node].keywords {
            switch keyword {
            case .resolvedRef(let slot): targets.append(slot)
            case .ref(let uri), .dynamicRef(let uri, _):
                if let slot = schema.lookup(uri) { targets.append(slot) }
            case .allOf(let children), .anyOf(let children), .oneOf(let children): targets += children
            case .not(let child): targets.append(child)
            case .conditional(let condition, let then, let otherwise):
                targets.append(condition)
                if let then { targets.append(then) }
                if let otherwise { targets.append(otherwise) }
            case .dependentSchemas(let members): targets += members.map(\.1)
            default: continue
            }
        }
        return targets
    }
}
