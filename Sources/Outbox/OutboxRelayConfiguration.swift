import Kafka

/// Settings of an `OutboxRelay`. Every property has a default that suits one relay per
/// service database.
public struct OutboxRelayConfiguration: Sendable {
    /// Rows read, produced and removed per batch (default 5,000; 1…50,000). Larger batches
    /// amortise the per-batch delivery wait; `maxBatchesInFlight` of them are in flight.
    public var batchSize: Int = 5_000
    /// Batches produced concurrently (default 4; 1…16). Later batches are read while earlier
    /// ones await their delivery reports; see `docs/outbox.md` for why order still holds.
    public var maxBatchesInFlight: Int = 4
    /// While pipelining, how often the relay lets in-flight batches finish and reads again
    /// from the oldest pending row (default 1 s), bounding the wait of a row that committed late.
    public var rescanInterval: Duration = .seconds(1)
    /// How often an idle relay checks the table when no notification arrives
    /// (default 1 s). Notifications make new events go out within milliseconds; this
    /// only bounds the delay if a notification is lost.
    public var pollInterval: Duration = .seconds(1)
    /// How often a standby relay tries to take the lock (default 1 s): the takeover time
    /// after the active relay dies.
    public var standbyRetryInterval: Duration = .seconds(1)
    /// First and largest wait between attempts while the database or broker fails
    /// (defaults 100 ms and 5 s; doubles in between).
    public var initialBackoff: Duration = .milliseconds(100)
    public var maximumBackoff: Duration = .seconds(5)
    /// Keep delivered rows this long for audit (marked `delivered_at`), then delete them;
    /// `nil` (default) deletes rows as soon as they are delivered.
    public var keepDelivered: Duration?
    /// How often the relay logs its metrics while active (default 30 s; `nil` never).
    public var metricsInterval: Duration? = .seconds(30)
    /// How often the active relay refreshes its backlog gauges (`choreo_relay_backlog_rows`,
    /// `choreo_relay_oldest_pending_age_seconds`; default 5 s, one indexed query).
    public var backlogInterval: Duration = .seconds(5)
    /// `ce_source` for rows whose headers have none (rows written by foreign code).
    public var defaultSource: String = "/choreo/outbox-relay"
    /// How long a graceful shutdown waits for an in-flight batch before abandoning it
    /// (default 5 s). Abandoned rows stay in the outbox.
    public var shutdownGracePeriod: Duration = .seconds(5)
    /// The most message bytes (data and key) the relay holds at once (default 64 MiB; at
    /// least 1,024): awaiting delivery reports, plus the rows of a read on their way to
    /// becoming messages. It reads at most an eighth of this at a time, and only while at
    /// most half of it awaits delivery, so its memory is bounded by bytes, not only by rows.
    /// A row larger than a read's share is still read, alone.
    public var maxInFlightBytes: Int = 64 * 1024 * 1024
    /// First and largest wait before a blocked key's row is tried again (defaults 1 s and
    /// 60 s; doubles in between). See `OutboxBlockedKey`.
    public var blockedKeyInitialBackoff: Duration = .seconds(1)
    public var blockedKeyMaximumBackoff: Duration = .seconds(60)
    /// Event type (`order.placed.v1`) to the topics `topics/` declares it on. When set (the
    /// CLI sets it when run with a project root), a row whose topic is not declared for its
    /// type blocks its key (`undeclared-topic`). `nil` (default) checks nothing.
    public var declaredTopics: [String: Set<String>]?
    /// The advisory-lock key that elects the one active relay per database; defaults to a
    /// stable hash of the table name.
    public var lockKey: Int64?
    /// The producer. The relay runs it with `enableIdempotence = true`, `acks = all`, no
    /// message timeout and librdkafka's `enable.gapless.guarantee`, so that a delivery never
    /// times out leaving later rows of its key delivered. A producer configuration that
    /// weakens any of these (typed or as a raw property) is refused, never overwritten:
    /// see `RelaySafetySettings`.
    public var producer: KafkaProducerConfiguration

    /// Uses `producer` with its `linger` set to 1 ms (set it again after `init` to
    /// override): the relay hands librdkafka whole batches, so waiting longer for more
    /// messages adds latency and no throughput (measured: p50 4.9 ms instead of 12.7 ms
    /// commit-to-consumer at 2,000 events/s, same events/s).
    /// - Throws: `OutboxError.configuration` when `producer` weakens the relay's safety
    ///   settings (`RelaySafetySettings`), naming the setting.
    public init(producer: KafkaProducerConfiguration) throws {
        try RelaySafetySettings.check(producer)
        self.producer = producer
        self.producer.linger = .milliseconds(1)
    }

    func validated() throws -> OutboxRelayConfiguration {
        try RelaySafetySettings.check(producer)
        guard (1...50_000).contains(batchSize) else {
            throw OutboxError(code: .configuration, message: "batchSize must be between 1 and 50000, got \(batchSize)")
        }
        guard (1...16).contains(maxBatchesInFlight) else {
            throw OutboxError(
                code: .configuration, message: "maxBatchesInFlight must be between 1 and 16, got \(maxBatchesInFlight)")
        }
        guard maxInFlightBytes >= 1024 else {
            throw OutboxError(
                code: .configuration, message: "maxInFlightBytes must be at least 1024, got \(maxInFlightBytes)")
        }
        guard pollInterval > .zero, standbyRetryInterval > .zero, initialBackoff > .zero,
            maximumBackoff >= initialBackoff, blockedKeyInitialBackoff > .zero,
            blockedKeyMaximumBackoff >= blockedKeyInitialBackoff
        else {
            throw OutboxError(
                code: .configuration,
                message: "intervals must be positive and each maximum backoff ≥ its initial backoff")
        }
        var copy = self
        RelaySafetySettings.apply(to: &copy.producer)
        return copy
    }
}
