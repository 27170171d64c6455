import Metrics

/// The metrics layer next to the plain handler: records each handler call's duration
/// (`choreo_consumer_handler_duration_seconds`), whether it returns or throws.
///
/// It times handler calls, so an optimistic batch that is redone times a handler twice
/// for one applied event; the event counts (applied, duplicates, parked) are
/// ``EventMetricsLayer``'s, recorded once the transaction commits, and the batch-wide
/// figures (consumed, retried, dead-lettered, lag) the runtime's.
struct HandlerMetricsLayer: ConsumerMiddleware {
    let handlerDuration: Timer

    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        let started = ContinuousClock.now
        defer { ConsumerInstruments.record(handlerDuration, since: started) }
        try await next(event, context)
    }
}
