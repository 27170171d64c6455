/// Configuration of a ``KafkaProducer``. Defaults favour safety: `acks=all`, idempotence on.
public struct KafkaProducerConfiguration: Sendable {
    /// `acks` / `request.required.acks`. Open enum.
    public struct Acks: Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Every in-sync replica (`-1`, the default).
        public static let all = Acks(rawValue: "all")
        /// The leader only.
        public static let leader = Acks(rawValue: "1")
        /// No acknowledgement (incompatible with idempotence).
        public static let none = Acks(rawValue: "0")
    }

    /// `compression.codec`. Open enum.
    public struct Compression: Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let none = Compression(rawValue: "none")
        public static let gzip = Compression(rawValue: "gzip")
        public static let snappy = Compression(rawValue: "snappy")
        public static let lz4 = Compression(rawValue: "lz4")
        public static let zstd = Compression(rawValue: "zstd")
    }

    /// Common client settings.
    public var client: KafkaConfiguration
    /// `acks`. Default `.all`.
    public var acks: Acks = .all
    /// `enable.idempotence`. Default `true`.
    public var enableIdempotence: Bool = true
    /// `linger.ms`. Default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// `batch.size` in bytes. `nil` keeps librdkafka's default (1,000,000).
    public var batchSize: Int?
    /// `compression.codec`. Default `.none`.
    public var compression: Compression = .none
    /// `message.timeout.ms`: how long a message may wait for delivery, retries included.
    /// `nil` keeps librdkafka's default (300 s); `.zero` means infinite.
    public var messageTimeout: Duration?
    /// `max.in.flight.requests.per.connection`. `nil` keeps the default (1,000,000; capped at 5 with idempotence).
    public var maxInFlight: Int?
    /// `queue.buffering.max.messages`. `nil` keeps the default (100,000).
    public var queueBufferingMaxMessages: Int?
    /// `message.max.bytes`: the bound on one message (key + value + headers). Default 1,000,000.
    /// Larger messages are rejected with ``KafkaError/Code/messageTooLarge`` before enqueue.
    public var maxMessageBytes: Int = 1_000_000
    /// The bound on the encoded header set of one message (keys + values). Default 64 KiB.
    public var maxHeaderBytes: Int = 64 * 1024
    /// How long ``KafkaProducer/shutdown()`` waits for outstanding deliveries before purging. Default 10 s.
    public var deliveryReportTimeoutOnShutdown: Duration = .seconds(10)

    /// A producer configuration with safe defaults.
    public init(client: KafkaConfiguration) {
        self.client = client
    }

    /// A producer configuration for a comma-separated bootstrap list.
    public init(bootstrapServers: String) {
        self.init(client: KafkaConfiguration(bootstrapServers: bootstrapServers))
    }

    func properties() -> [String: String] {
        var p = client.properties()
        p["acks"] = acks.rawValue
        p["enable.idempotence"] = enableIdempotence ? "true" : "false"
        p["linger.ms"] = String(linger.milliseconds)
        p["compression.codec"] = compression.rawValue
        p["message.max.bytes"] = String(max(maxMessageBytes + 512, 1000))
        if let batchSize { p["batch.size"] = String(batchSize) }
        if let messageTimeout { p["message.timeout.ms"] = String(messageTimeout.milliseconds) }
        if let maxInFlight { p["max.in.flight.requests.per.connection"] = String(maxInFlight) }
        if let queueBufferingMaxMessages { p["queue.buffering.max.messages"] = String(queueBufferingMaxMessages) }
        // Delivery reports carry only what we need: no payload copy back to us.
        p["delivery.report.only.error"] = "false"
        return p.merging(client.rawProperties) { _, raw in raw }
    }
}
