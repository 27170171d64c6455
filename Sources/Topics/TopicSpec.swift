import Contracts
import Foundation
import Yams

/// One declared topic: `topics/<name>.yaml`.
///
/// ```yaml
/// name: orders.events
/// kind: events              # events | commands | retry | dead-letter
/// partitions: 6
/// replicationFactor: 3
/// configs: { retention.ms: "604800000", cleanup.policy: delete, min.insync.replicas: "2" }
/// eventTypes: [order.placed.v1, order.placed.v2]
/// description: Facts about orders.
/// ```
public struct TopicSpec: Sendable, Hashable, Codable {
    /// What a topic is for; the name must follow the kind's naming rule.
    public struct Kind: Sendable, Hashable, Codable, RawRepresentable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// `<context>.events`
        public static let events = Kind(rawValue: "events")
        /// `<context>.commands`
        public static let commands = Kind(rawValue: "commands")
        /// `<group>.retry.<delay>`
        public static let retry = Kind(rawValue: "retry")
        /// `<group>.dlq`
        public static let deadLetter = Kind(rawValue: "dead-letter")

        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    public var name: String
    public var kind: Kind
    public var partitions: Int
    public var replicationFactor: Int
    public var configs: [String: String]
    public var eventTypes: [String]
    public var description: String?

    public init(
        name: String, kind: Kind, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:],
        eventTypes: [String] = [], description: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
        self.eventTypes = eventTypes
        self.description = description
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, partitions, replicationFactor, configs, eventTypes, description
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(Kind.self, forKey: .kind)
        partitions = try container.decode(Int.self, forKey: .partitions)
        replicationFactor = try container.decodeIfPresent(Int.self, forKey: .replicationFactor) ?? 1
        // Config values are strings in Kafka; accept YAML numbers and booleans too.
        var configs: [String: String] = [:]
        if container.contains(.configs) {
            let raw = try container.decode([String: YAMLScalar].self, forKey: .configs)
            for (key, value) in raw { configs[key] = value.text }
        }
        self.configs = configs
        eventTypes = try container.decodeIfPresent([String].self, forKey: .eventTypes) ?? []
        description = try container.decodeIfPresent(String.self, forKey: .description)
    }

    /// Checks names and numbers; returns every problem as `field: what to fix`.
    public func problems() -> [String] {
        var problems: [String] = []
        let legal = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if name.isEmpty || name.count > 249 || name == "." || name == ".." || !name.allSatisfy(legal.contains) {
            problems.append("name: '\(name)' is not a legal Kafka topic name ([a-zA-Z0-9._-], at most 249 characters)")
        }
        switch kind {
        case .events where !name.hasSuffix(".events") || name.count <= ".events".count:
            problems.append("name: an events topic is named <context>.events")
        case .commands where !name.hasSuffix(".commands") || name.count <= ".commands".count:
            problems.append("name: a commands topic is named <context>.commands")
        case .retry:
            let parts = name.components(separatedBy: ".retry.")
            if parts.count != 2 || parts[0].isEmpty || DurationText.parse(parts[1]) == nil {
                problems.append("name: a retry topic is named <group>.retry.<delay> with a delay like 1s, 10s, 1m")
            }
            if !eventTypes.isEmpty { problems.append("eventTypes: retry topics carry the group's events; list none") }
        case .deadLetter:
            if !name.hasSuffix(".dlq") || name.count <= 4 {
                problems.append("name: a dead-letter topic is named <group>.dlq")
            }
            if !eventTypes.isEmpty {
                problems.append("eventTypes: dead-letter topics carry the group's events; list none")
            }
        case .events, .commands:
            break
        default:
            problems.append("kind: '\(kind)' is not one of events, commands, retry, dead-letter")
        }
        if partitions < 1 || partitions > 10_000 { problems.append("partitions: must be 1…10000") }
        if replicationFactor < 1 || replicationFactor > 32 { problems.append("replicationFactor: must be 1…32") }
        for type in eventTypes where !Self.isEventType(type) {
            problems.append("eventTypes: '\(type)' is not a type with version like order.placed.v1")
        }
        if (kind == .events || kind == .commands) && eventTypes.isEmpty {
            problems.append("eventTypes: list the event types this topic carries")
        }
        return problems
    }

    static func isEventType(_ text: String) -> Bool {
        guard let range = text.range(of: ".v", options: .backwards) else { return false }
        guard let version = Int(text[range.upperBound...]), version >= 1 else { return false }
        return !text[..<range.lowerBound].isEmpty
    }
}

/// A YAML scalar read as text (`604800000`, `delete`, `true`).
struct YAMLScalar: Decodable, Hashable {
    var text: String
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let number = try? container.decode(Int.self) {
            text = String(number)
        } else if let flag = try? container.decode(Bool.self) {
            text = flag ? "true" : "false"
        } else {
            text = String(try container.decode(Double.self))
        }
    }
}
