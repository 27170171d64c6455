import Metrics

/// The metrics layer next to the plain handler: records each handler call's duration
/// (`choreo_consumer_handler_duration_seconds`), whether it returns or throws.
///
/// The batch-wide figures (consumed, applied, duplicates, retried, dead-lettered, lag) are
/// recorded by the runtime once the batch commits: a layer sees handler calls, and an
/// optimistic batch that is redone calls a handler twice for one applied event.
struct HandlerMetricsLayer: ConsumerMiddleware {
    let handlerDuration: Timer

    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        let started = ContinuousClock.now
        defer { ConsumerInstruments.record(handlerDuration, since: started) }
        try await next(event, context)
    }
}
