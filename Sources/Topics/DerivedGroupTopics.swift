/// The per-group topics a consumer group needs — its retry topics, its dead-letter topic
/// and its replay topic — derived from `consumers/<group>.yaml` rather than written by
/// hand. A file in `topics/` with the same name overrides the derived spec.
public struct DerivedGroupTopics: Sendable, Equatable {
    public var group: String
    /// The topics the group subscribes to: the derived topics get their largest partition
    /// count, replication factor and `min.insync.replicas`.
    public var subscribed: [String]
    public var retryTopics: [String]
    public var deadLetterTopic: String
    public var replayTopic: String

    public init(
        group: String, subscribed: [String], retryTopics: [String], deadLetterTopic: String, replayTopic: String
    ) {
        self.group = group
        self.subscribed = subscribed
        self.retryTopics = retryTopics
        self.deadLetterTopic = deadLetterTopic
        self.replayTopic = replayTopic
    }

    /// Retry topics keep a day, dead letters 30 days, replays 7 days.
    static let retention = (retry: "86400000", deadLetter: "2592000000", replay: "604800000")

    /// The derived specs not already declared in `catalog`.
    public func specs(overriddenBy catalog: TopicCatalog) -> [TopicSpec] {
        let sources = subscribed.compactMap { catalog.topic(named: $0) }
        let partitions = sources.map(\.partitions).max() ?? 1
        let replication = sources.map(\.replicationFactor).max() ?? 1
        let minInSync = sources.compactMap { $0.configs["min.insync.replicas"].flatMap { Int($0) } }.max()
        func spec(_ name: String, _ kind: TopicSpec.Kind, _ retention: String, _ text: String) -> TopicSpec {
            var configs = ["retention.ms": retention, "cleanup.policy": "delete"]
            if let minInSync { configs["min.insync.replicas"] = String(minInSync) }
            return TopicSpec(
                name: name, kind: kind, partitions: partitions, replicationFactor: replication, configs: configs,
                description: "\(text) of \(group) (derived from consumers/\(group).yaml)")
        }
        let derived =
            retryTopics.map { spec($0, .retry, Self.retention.retry, "Retries") }
            + [
                spec(deadLetterTopic, .deadLetter, Self.retention.deadLetter, "Dead letters"),
                spec(replayTopic, .replay, Self.retention.replay, "Replayed dead letters"),
            ]
        return derived.filter { catalog.topic(named: $0.name) == nil }
    }
}

extension TopicSpec.Kind {
    /// `<group>.replay`: replayed dead letters only that group consumes (derived, not declared).
    public static let replay = TopicSpec.Kind(rawValue: "replay")
}
