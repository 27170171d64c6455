/// The dedupe layer of the per-event chain, inside the consume span: an event whose id the
/// group has processed before (the batch's single processed-events statement did not
/// insert it) or that already occurred earlier in the batch is a duplicate. It is skipped
/// without calling `next`, and counted (``EventMetricsLayer``) when the batch commits.
struct DedupeLayer: ConsumerMiddleware {
    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        guard let call = context.call, let batch = call.batch, !call.releasing else {
            return try await next(event, context)
        }
        guard batch.claim(call.planned.event.envelope.id) else {
            batch.count { $0.duplicates += 1 }
            return
        }
        try await next(event, context)
    }
}
