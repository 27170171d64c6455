/// A topic as it exists on a cluster.
public struct ExistingTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int, configs: [String: String]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// What `choreo topics apply` would do: the pure diff of declared and existing topics.
///
/// Partitions only grow; replication factors are not changed by this tool; only declared
/// config keys are compared (broker defaults of undeclared keys are not drift); topics
/// on the cluster that no spec declares are listed as unmanaged and never deleted.
public struct TopicPlan: Sendable, Equatable, CustomStringConvertible {
    public enum Action: Sendable, Equatable {
        case create(TopicSpec)
        case addPartitions(topic: String, from: Int, to: Int)
        case alterConfigs(topic: String, changes: [ConfigChange])
    }

    public struct ConfigChange: Sendable, Equatable {
        public var key: String
        public var old: String?
        public var new: String

        public init(key: String, old: String?, new: String) {
            self.key = key
            self.old = old
            self.new = new
        }
    }

    public enum Problem: Sendable, Equatable {
        case cannotShrink(topic: String, from: Int, to: Int)
        case replicationFactorDiffers(topic: String, existing: Int, declared: Int)
    }

    public var actions: [Action] = []
    public var problems: [Problem] = []
    public var unmanaged: [String] = []

    /// Nothing to change and nothing wrong.
    public var nothingToDo: Bool { actions.isEmpty && problems.isEmpty }

    public static func make(declared: [TopicSpec], existing: [ExistingTopic]) -> TopicPlan {
        var plan = TopicPlan()
        let byName = Dictionary(existing.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for spec in declared.sorted(by: { $0.name < $1.name }) {
            guard let current = byName[spec.name] else {
                plan.actions.append(.create(spec))
                continue
            }
            if spec.partitions > current.partitions {
                plan.actions.append(.addPartitions(topic: spec.name, from: current.partitions, to: spec.partitions))
            } else if spec.partitions < current.partitions {
                plan.problems.append(.cannotShrink(topic: spec.name, from: current.partitions, to: spec.partitions))
            }
            if spec.replicationFactor != current.replicationFactor {
                plan.problems.append(
                    .replicationFactorDiffers(
                        topic: spec.name, existing: current.replicationFactor, declared: spec.replicationFactor))
            }
            let changes = spec.configs.keys.sorted().compactMap { key -> ConfigChange? in
                let wanted = spec.configs[key] ?? ""
                return current.configs[key] == wanted
                    ? nil : ConfigChange(key: key, old: current.configs[key], new: wanted)
            }
            if !changes.isEmpty { plan.actions.append(.alterConfigs(topic: spec.name, changes: changes)) }
        }
        let declaredNames = Set(declared.map(\.name))
        plan.unmanaged = existing.map(\.name).filter { !declaredNames.contains($0) && !$0.hasPrefix("__") }.sorted()
        return plan
    }

    /// Terraform-like lines for people.
    public var description: String {
        var lines: [String] = []
        for action in actions {
            switch action {
            case .create(let spec):
                lines.append(
                    "+ create \(spec.name) (\(spec.partitions) partitions, rf \(spec.replicationFactor)\(spec.configs.isEmpty ? "" : ", " + spec.configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")))"
                )
            case .addPartitions(let topic, let from, let to):
                lines.append("~ \(topic) partitions \(from) → \(to)")
            case .alterConfigs(let topic, let changes):
                for change in changes {
                    lines.append("~ \(topic) \(change.key): \(change.old ?? "(default)") → \(change.new)")
                }
            }
        }
        for problem in problems {
            switch problem {
            case .cannotShrink(let topic, let from, let to):
                lines.append(
                    "! \(topic): cannot shrink partitions \(from) → \(to); Kafka only adds partitions (recreate the topic to shrink it)"
                )
            case .replicationFactorDiffers(let topic, let existing, let declared):
                lines.append(
                    "! \(topic): replication factor is \(existing), declared \(declared); this tool does not reassign replicas"
                )
            }
        }
        for name in unmanaged { lines.append("? \(name) exists but no spec declares it (left alone)") }
        if nothingToDo { lines.append("nothing to do: every declared topic matches") }
        return lines.joined(separator: "\n")
    }
}
