import Consumers
import Contracts

/// `choreo dlq check`: whether a record's group can still read its type and version.
public struct ReadabilityCheck: Sendable {
    public let groups: [String: ConsumerGroupSpec]
    public let registry: ContractRegistry
    public let upcasters: Upcasters

    public init(groups: [ConsumerGroupSpec], registry: ContractRegistry, upcasters: Upcasters) {
        self.groups = Dictionary(groups.map { ($0.group, $0) }, uniquingKeysWith: { first, _ in first })
        self.registry = registry
        self.upcasters = upcasters
    }

    /// Nil when readable; otherwise what stops the group from reading it.
    public func problem(_ record: DeadLetterRecord) -> String? {
        guard let spec = groups[record.group] else {
            return "group \(record.group) is no longer declared in consumers/"
        }
        guard let type = record.fullType else { return "no readable ce_type" }
        guard let handled = spec.handles.compactMap({ EventType(parsing: $0) }).first(where: { $0.name == type.name })
        else { return "group no longer handles \(type.name)" }
        guard registry.contract(for: type) != nil else { return "no contract for \(type) in contracts/" }
        if type.version == handled.version { return nil }
        if type.version > handled.version { return "\(type) is newer than the handled \(handled)" }
        var version = type.version
        while version < handled.version {
            guard upcasters.hasStep(EventType(name: type.name, version: version)) else {
                return "no upcaster path from \(type) to the handled \(handled)"
            }
            version += 1
        }
        return nil
    }
}
