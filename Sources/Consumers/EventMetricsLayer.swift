import Metrics

/// The metrics layer of the per-event chain, next inside the consume span: counts the
/// events applied (`choreo_consumer_applied_total`) — the chain below it returned — and,
/// for the batch transaction, the duplicates skipped
/// (`choreo_consumer_skipped_duplicates_total`) and the events parked
/// (`choreo_consumer_parked_total`).
///
/// Every count is an after-commit action of the transaction attempt (``AfterCommitActions``):
/// an optimistic batch rolled back and redone with savepoints, or an event whose savepoint
/// was rolled back, drops the aborted attempt's counts, so each committed event counts once.
struct EventMetricsLayer: ConsumerMiddleware {
    let applied: Counter
    let duplicates: Counter
    let parked: Counter

    init(instruments: ConsumerInstruments) {
        applied = instruments.applied
        duplicates = instruments.skippedDuplicates
        parked = instruments.parked
    }

    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        try await next(event, context)
        let applied = applied
        context.afterCommit { applied.increment() }
    }

    /// Counts a transaction attempt's duplicates and parked events once it commits.
    func count(duplicates: Int, parked: Int) {
        guard duplicates > 0 || parked > 0 else { return }
        let duplicateCounter = self.duplicates
        let parkedCounter = self.parked
        let action: @Sendable () -> Void = {
            if duplicates > 0 { duplicateCounter.increment(by: duplicates) }
            if parked > 0 { parkedCounter.increment(by: parked) }
        }
        if let collector = AfterCommitActions.current { collector.add(action) } else { action() }
    }
}
