/// Counters of one consumer runtime instance since it started.
public struct ConsumerMetrics: Sendable, Equatable {
    /// Events whose handler committed.
    public var handled = 0
    /// Events skipped because their id was already processed by this group.
    public var duplicates = 0
    /// Events republished to a retry topic.
    public var retried = 0
    /// Events sent to the dead-letter topic.
    public var deadLettered = 0
    /// Events parked behind a failed event of their key (order-preserving mode).
    public var parked = 0
    /// Batches committed.
    public var batches = 0
    /// Batches retried in place after a transient (infrastructure) failure.
    public var transientFailures = 0
    /// Valid events of types the group does not handle, committed without a handler.
    public var skipped = 0
    /// Retry or dead-letter publications that failed for now and held back their partition.
    public var publishRetries = 0
    /// Producers recreated after a fatal producer error.
    public var producerRecreations = 0
    /// Messages dropped from an in-place retry because their partition was revoked meanwhile.
    public var revokedDuringRetry = 0
    /// Optimistic batches redone with per-event savepoints after a handler failure.
    public var batchRedos = 0

    public init() {}
}
