/// How `DeadLetterReplayer` replays.
public struct ReplayOptions: Sendable {
    /// To the original topic (every subscriber) instead of the group's replay topic.
    public var toOriginalTopic = false
    /// The operator confirmed a replay to the original topic (`--yes`).
    public var confirmed = false
    /// Replay to the original topic even past a receiving group's `processedRetention`.
    public var force = false
    /// Check and report only; publish and record nothing.
    public var dryRun = false
    /// At most this many messages per second; nil: as fast as the broker takes them.
    public var rate: Double?
    /// New data for a single record, validated against its type's contract.
    public var editedData: [UInt8]?
    /// Who replays, for the audit trail (`$USER` for the CLI, `worker` for re-drives).
    public var actor: String
    /// An automatic re-drive by the worker's policy (counts towards the rule's limit).
    public var automatic = false

    public init(actor: String) {
        self.actor = actor
    }
}

/// What happened to one record of a replay.
public struct ReplayOutcome: Sendable, Equatable {
    public var recordID: Int64
    public var destination: String
    /// False for a dry run.
    public var published: Bool
    /// The audit entry, carried as `choreo_replay_id`; nil for a dry run.
    public var replayID: Int64?
}
