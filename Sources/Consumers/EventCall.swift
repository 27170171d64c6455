/// One call of an event's chain by the batch transaction: what its layers inside the
/// transaction (``DedupeLayer``, ``ParkLayer``, ``SavepointLayer``) need to know about
/// it. Reached through the handler context; user layers do not see it.
struct EventCall: Sendable {
    let planned: PlannedEvent
    /// The batch's shared state; `nil` for a release outside a batch (orphaned parked events).
    let batch: BatchState?
    /// Whether the event runs in its own savepoint (a savepoint batch or a release).
    let savepoint: Bool
    /// A parked event being released: it was deduplicated and parked when it arrived, so
    /// the dedupe and park layers let it through, and no known failure applies to it.
    let releasing: Bool
}
