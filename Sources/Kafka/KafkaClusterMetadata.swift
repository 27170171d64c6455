/// A snapshot of cluster metadata.
public struct KafkaClusterMetadata: Sendable, Hashable {
    /// One broker.
    public struct Broker: Sendable, Hashable {
        public var id: Int32
        public var host: String
        public var port: Int32
    }
    /// One partition of a topic.
    public struct Partition: Sendable, Hashable {
        public var id: Int32
        /// The leader's broker id (-1 when there is none).
        public var leader: Int32
        public var replicas: [Int32]
        public var inSyncReplicas: [Int32]
    }
    /// One topic.
    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitions: [Partition]
        /// A per-topic error code from the broker (0 = none).
        public var errorCode: Int32
    }

    public var brokers: [Broker]
    public var topics: [Topic]

    /// The topic named `name`, if present.
    public func topic(_ name: String) -> Topic? { topics.first { $0.name == name } }
}

/// What a ``KafkaAdmin/createTopics(_:timeout:)`` call creates.
public struct KafkaTopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic configs such as `cleanup.policy`, `retention.ms`.
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}
