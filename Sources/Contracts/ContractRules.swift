/// The rules `choreo contracts check` applies to the contracts themselves (see
/// `docs/contracts.md`). Pure: no file system, no cluster.
public enum ContractRules {
    /// Every rule over `registry`.
    public static func check(_ registry: ContractRegistry) -> [ContractProblem] {
        var problems: [ContractProblem] = []
        var names = Set<String>()
        for type in registry.types { names.insert(type.name) }
        for name in names.sorted() {
            let versions = registry.versions(of: name)
            if versions != Array(1...(versions.last ?? 1)) {
                problems.append(
                    ContractProblem(
                        file: name, rule: "version-gap",
                        message:
                            "versions of \(name) must be v1…vN without gaps; found \(versions.map { "v\($0)" }.joined(separator: ", "))"
                    ))
            }
            for (older, newer) in zip(versions, versions.dropFirst()) {
                guard let a = registry.contract(for: EventType(name: name, version: older)),
                    let b = registry.contract(for: EventType(name: name, version: newer))
                else { continue }
                if shape(of: a.document) == shape(of: b.document) {
                    problems.append(
                        ContractProblem(
                            file: b.path, rule: "needless-major-version",
                            message:
                                "v\(newer) has the same properties, required set and types as v\(older); a major version is for incompatible changes"
                        ))
                }
            }
        }
        for type in registry.types {
            guard let contract = registry.contract(for: type) else { continue }
            let document = contract.document
            if document["type"]?.stringValue != "object" {
                problems.append(
                    ContractProblem(
                        file: contract.path, pointer: "/type", rule: "object-root",
                        message: "an event's data is a JSON object: set \"type\": \"object\""))
            }
            for field in ["title", "description"] where (document[field]?.stringValue ?? "").isEmpty {
                problems.append(
                    ContractProblem(
                        file: contract.path, pointer: "/\(field)", rule: "documented",
                        message: "every contract has a \(field)"))
            }
            let examples = contract.examples
            if examples.isEmpty {
                problems.append(
                    ContractProblem(
                        file: contract.path, pointer: "/examples", rule: "examples",
                        message: "add at least one example instance"))
            }
            for (index, example) in examples.enumerated() {
                for error in contract.schema.validate(example) {
                    problems.append(
                        ContractProblem(
                            file: contract.path, pointer: "/examples/\(index)\(error.instancePath)", rule: "examples",
                            message: "example does not validate: \(error.keyword): \(error.message)"))
                }
            }
        }
        return problems
    }

    /// What a version exposes: property names with their declared types, and the required set.
    static func shape(of document: JSONValue) -> [String: String] {
        var shape: [String: String] = [:]
        if case .object(let properties)? = document["properties"] {
            for (name, schema) in properties.members {
                shape["p:" + name] = schema["type"].map { $0.jsonText } ?? schema["$ref"]?.stringValue ?? "any"
            }
        }
        if case .array(let required)? = document["required"] {
            for name in required.compactMap(\.stringValue) { shape["r:" + name] = "required" }
        }
        return shape
    }

    /// Cross-references: every type named by topics or consumers has a contract, and every
    /// type a consumer handles is carried (at some version) by one of the topics it reads.
    /// - Parameters:
    ///   - topics: topic name → event types it carries (`order.placed.v1`), with its file.
    ///   - consumers: group file, its topics and the types it handles.
    public static func crossCheck(
        _ registry: ContractRegistry,
        topics: [(file: String, name: String, eventTypes: [String])],
        consumers: [(file: String, topics: [String], handles: [String])]
    ) -> [ContractProblem] {
        var problems: [ContractProblem] = []
        func known(_ text: String) -> EventType? {
            guard let type = EventType(parsing: text), registry.contract(for: type) != nil else { return nil }
            return type
        }
        for topic in topics {
            for text in topic.eventTypes where known(text) == nil {
                problems.append(
                    ContractProblem(
                        file: topic.file, pointer: "/eventTypes", rule: "missing-contract",
                        message: "\(text) is carried here but has no contract contracts/<name>/v<N>.schema.json"))
            }
        }
        let carried = Dictionary(
            grouping: topics.flatMap { topic in topic.eventTypes.map { (topic.name, $0) } }, by: \.0
        )
        .mapValues { Set($0.map(\.1)) }
        for group in consumers {
            for text in group.handles {
                guard let type = known(text) else {
                    problems.append(
                        ContractProblem(
                            file: group.file, pointer: "/handles", rule: "missing-contract",
                            message: "\(text) is handled here but has no contract"))
                    continue
                }
                let versions = (1...type.version).map { "\(type.name).v\($0)" }
                let reachable = group.topics.contains { topic in !(carried[topic] ?? []).isDisjoint(with: versions) }
                if !reachable {
                    problems.append(
                        ContractProblem(
                            file: group.file, pointer: "/handles", rule: "no-topic-for-handled-type",
                            message:
                                "no topic this group reads carries \(type.name) at v\(type.version) or older; add the topic or fix handles"
                        ))
                }
            }
        }
        return problems
    }
}
