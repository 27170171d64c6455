/// Configuration of a ``KafkaConsumer``.
///
/// Offsets are never committed or stored automatically: `enable.auto.commit` and
/// `enable.auto.offset.store` are always `false` (a raw property cannot turn them on), so only
/// work the caller finished is committed.
public struct KafkaConsumerConfiguration: Sendable {
    /// `auto.offset.reset`. Open enum.
    public struct AutoOffsetReset: Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let earliest = AutoOffsetReset(rawValue: "earliest")
        public static let latest = AutoOffsetReset(rawValue: "latest")
        /// Fail with a consumer error when there is no committed offset.
        public static let error = AutoOffsetReset(rawValue: "error")
    }

    /// `partition.assignment.strategy`. Open enum.
    public struct AssignmentStrategy: Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let range = AssignmentStrategy(rawValue: "range")
        public static let roundRobin = AssignmentStrategy(rawValue: "roundrobin")
        /// Incremental rebalancing; with the embedded broker, revoked partitions may come back as *lost*.
        public static let cooperativeSticky = AssignmentStrategy(rawValue: "cooperative-sticky")
    }

    /// Common client settings.
    public var client: KafkaConfiguration
    /// `group.id`.
    public var groupID: String
    /// `auto.offset.reset`. Default `.earliest`.
    public var autoOffsetReset: AutoOffsetReset = .earliest
    /// `session.timeout.ms`. Default 10 s (use 6 s against the embedded broker to speed rebalances).
    public var sessionTimeout: Duration = .seconds(10)
    /// `heartbeat.interval.ms`. `nil` keeps librdkafka's default (3 s).
    public var heartbeatInterval: Duration?
    /// `max.poll.interval.ms`. Default 300 s.
    public var maxPollInterval: Duration = .seconds(300)
    /// `partition.assignment.strategy`. Default `.range` (eager; see NOTES on cooperative with the mock).
    public var partitionAssignmentStrategy: AssignmentStrategy = .range
    /// `fetch.min.bytes`. `nil` keeps the default (1).
    public var fetchMinBytes: Int?
    /// `fetch.wait.max.ms`. `nil` keeps the default (500 ms).
    public var fetchMaxWait: Duration?
    /// `fetch.max.bytes`. `nil` keeps the default (52,428,800).
    public var fetchMaxBytes: Int?
    /// `max.partition.fetch.bytes`. `nil` keeps the default (1,048,576).
    public var maxPartitionFetchBytes: Int?
    /// `queued.max.messages.kbytes`: the prefetch bound per client. `nil` keeps the default (65,536).
    public var queuedMaxMessagesKBytes: Int?
    /// `receive.message.max.bytes`: the bound on one fetch response. Default 100,000,000.
    public var maxMessageBytes: Int = 100_000_000
    /// `isolation.level`: `read_committed` by default.
    public var readCommitted: Bool = true

    /// A consumer configuration for a group.
    public init(client: KafkaConfiguration, groupID: String) {
        self.client = client
        self.groupID = groupID
    }

    /// A consumer configuration for a comma-separated bootstrap list and a group.
    public init(bootstrapServers: String, groupID: String) {
        self.init(client: KafkaConfiguration(bootstrapServers: bootstrapServers), groupID: groupID)
    }

    func properties() -> [String: String] {
        var p = client.properties()
        p["group.id"] = groupID
        p["auto.offset.reset"] = autoOffsetReset.rawValue
        p["session.timeout.ms"] = String(sessionTimeout.milliseconds)
        p["max.poll.interval.ms"] = String(maxPollInterval.milliseconds)
        p["partition.assignment.strategy"] = partitionAssignmentStrategy.rawValue
        p["receive.message.max.bytes"] = String(maxMessageBytes)
        p["isolation.level"] = readCommitted ? "read_committed" : "read_uncommitted"
        if let heartbeatInterval { p["heartbeat.interval.ms"] = String(heartbeatInterval.milliseconds) }
        if let fetchMinBytes { p["fetch.min.bytes"] = String(fetchMinBytes) }
        if let fetchMaxWait { p["fetch.wait.max.ms"] = String(fetchMaxWait.milliseconds) }
        if let fetchMaxBytes { p["fetch.max.bytes"] = String(fetchMaxBytes) }
        if let maxPartitionFetchBytes { p["max.partition.fetch.bytes"] = String(maxPartitionFetchBytes) }
        if let queuedMaxMessagesKBytes { p["queued.max.messages.kbytes"] = String(queuedMaxMessagesKBytes) }
        p.merge(client.rawProperties) { _, raw in raw }
        // Never commit or store offsets behind the caller's back.
        p["enable.auto.commit"] = "false"
        p["enable.auto.offset.store"] = "false"
        p["enable.partition.eof"] = "false"
        return p
    }
}
