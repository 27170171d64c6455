import Foundation

/// A snapshot of what a relay has done since it started.
public struct OutboxRelayMetrics: Sendable, Equatable {
    /// Whether this relay holds the database's relay lock.
    public var isActive = false
    /// Events delivered and removed from the outbox.
    public var published: Int = 0
    /// Deliveries that failed (their rows stayed for another attempt).
    public var failed: Int = 0
    /// Batches produced.
    public var batches: Int = 0
    /// Producers recreated after a fatal producer error.
    public var producerRestarts: Int = 0
    /// Rows waiting, and the age of the oldest, at the last backlog check.
    public var backlog: Int = 0
    public var oldestPendingAge: TimeInterval = 0
    /// Keys blocked by a row that cannot be published, oldest blocker first.
    public var blockedKeys: [OutboxBlockedKey] = []
    /// Message bytes awaiting delivery reports now (bounded by `maxInFlightBytes`).
    public var inFlightBytes: Int = 0

    public init() {}
}
