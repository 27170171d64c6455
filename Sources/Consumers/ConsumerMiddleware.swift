/// A layer of a consumer group's pipeline around the plain ``EventHandler``, in the way
/// Watermill's router middleware wraps a handler function.
///
/// The runtime composes the group's layers once, at start, into one chain per handled type:
///
/// ```
/// consume span → dedupe → park (order-preserving mode) → savepoint (savepoint batches)
///   → event metrics → your middleware (in the order added) → handler span
///   → handler metrics → handler
/// ```
///
/// The consume span (tracing) is outermost, so every layer runs in it, duplicates and
/// parked events included. ``DedupeLayer`` returns at once for a duplicate, ``ParkLayer``
/// parks an event whose key is blocked (and blocks or releases keys), ``SavepointLayer``
/// runs the rest in the event's savepoint; they use the batch-wide state the transaction
/// prepared once (one processed-events statement, one blocked-keys read). The event metrics
/// layer counts the event applied when the rest of the chain returns, once the batch
/// commits. Before the chain, per message, the classifier's ``MessageStage``s have decoded,
/// checked, routed, validated and upcast the event.
///
/// Each layer receives the event, the handler context and `next`, the rest of the chain.
/// A layer may
/// - call `next` (once) with the event, or with a changed copy of it (annotate: set an
///   attribute in `envelope.extensions`, for example) and look at what it throws;
/// - return without calling `next`: the event counts as handled (short-circuit), its
///   processed-event row commits with the batch and it is not delivered again;
/// - throw: the event fails like a handler error (retry topics, then dead letter), unless
///   the error is a ``RetriableError`` that is retriable (the batch is retried in place) or
///   a ``PermanentFailure`` (dead-lettered at once).
///
/// Your layers run inside the batch's database transaction, on the connection's thread,
/// after the event was decoded, validated, upcast and found new (not a duplicate) and not
/// parked behind its key; `context.connection` is the same transaction (in a savepoint
/// batch, the event's savepoint) the handler writes in. In
/// an optimistic batch that has to be redone with savepoints (a handler failed), the chain
/// runs again for the batch's events, so a layer must not assume one call per delivery.
public protocol ConsumerMiddleware: Sendable {
    /// Handles `event`, normally by calling `next(event, context)`.
    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws
}

/// A ``ConsumerMiddleware`` made of a closure (`ConsumerConfiguration.use(_:)`).
public struct ClosureMiddleware: ConsumerMiddleware {
    let body: @Sendable (ConsumedEvent, HandlerContext, EventHandler) async throws -> Void

    public init(_ body: @escaping @Sendable (ConsumedEvent, HandlerContext, _ next: EventHandler) async throws -> Void)
    {
        self.body = body
    }

    public func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        try await body(event, context, next)
    }
}
