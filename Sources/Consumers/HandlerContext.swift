import Contracts
import Outbox
import Postgres

/// What a handler may use while it handles one event: the batch's database transaction
/// and an outbox writer whose events inherit correlation, causation and trace context.
///
/// Valid only during the handler call; do not keep it.
public struct HandlerContext: Sendable {
    /// The connection, inside the batch transaction. Write the handler's effects here:
    /// they commit together with the processed-event record, or not at all.
    public let connection: PostgresConnection
    /// The consumer group handling the event.
    public let group: String
    let writer: OutboxWriter?
    let cause: EventEnvelope
    /// Where emitted events wait for the batch's single outbox insert.
    let buffer: OutboxBuffer
    /// Whether `write` pipelines (an optimistic batch) or runs at once (a savepoint redo).
    let pipelinesWrites: Bool
    /// Where the consume span leaves its context for the event's failure (tracing on).
    let spanSlot: ConsumeSpanSlot?
    /// The batch transaction's call of the chain (`nil` when a handler is called directly).
    let call: EventCall?

    init(
        connection: PostgresConnection, group: String, writer: OutboxWriter?, cause: EventEnvelope,
        buffer: OutboxBuffer,
        pipelinesWrites: Bool = false, spanSlot: ConsumeSpanSlot? = nil, call: EventCall? = nil
    ) {
        self.connection = connection
        self.group = group
        self.writer = writer
        self.cause = cause
        self.buffer = buffer
        self.pipelinesWrites = pipelinesWrites
        self.spanSlot = spanSlot
        self.call = call
    }

    /// This context inside the event's savepoint: writes go to `savepoint` at once, emitted
    /// events to the savepoint's own buffer.
    func inSavepoint(_ savepoint: PostgresConnection, buffer: OutboxBuffer) -> HandlerContext {
        HandlerContext(
            connection: savepoint, group: group, writer: writer, cause: cause, buffer: buffer,
            pipelinesWrites: false, spanSlot: spanSlot, call: call)
    }

    /// Runs a write whose result the handler does not need (`INSERT`, `UPDATE`, `DELETE`
    /// without `RETURNING`) in the batch transaction.
    ///
    /// In an optimistic batch the write is pipelined with the batch's other writes — one
    /// round trip for all of them instead of one each — and completes before the batch
    /// commits and before any later `query` or `execute` on `connection`. If it fails, the
    /// batch is rolled back and redone with a savepoint per event, where `write` runs at
    /// once and its error fails only this event, exactly as if the handler had thrown it.
    /// Use `connection.execute` when the handler needs the affected-row count.
    public func write(_ query: PostgresQuery) async throws {
        if pipelinesWrites {
            try await connection.pipeline(query)
        } else {
            try await connection.execute(query)
        }
    }

    /// Runs `action` once the batch's transaction has committed this handler's effects, and
    /// never if they were rolled back (a batch redone after a neighbour's failure calls the
    /// handler again, but runs only the committed call's actions). For figures that must
    /// count each committed effect once, such as domain counters. Outside a batch (a handler
    /// called directly) the action runs at once.
    public func afterCommit(_ action: @escaping @Sendable () -> Void) {
        if let collector = AfterCommitActions.current { collector.add(action) } else { action() }
    }

    /// Records `event` in the outbox in this transaction (validated now, inserted with the
    /// batch's other events before commit), with `ce_causationid` = the
    /// handled event's id, its correlation id (or its id when it has none) and its
    /// `traceparent`.
    /// - Throws: `ConsumerError.configuration` when the runtime has no outbox writer.
    @discardableResult
    public func emit(_ event: OutboxEvent) async throws -> EventEnvelope {
        guard let writer else {
            throw ConsumerError(code: .configuration, message: "this consumer has no outbox writer configured")
        }
        var event = event
        event.causationID = event.causationID ?? UUIDText.lowercased(cause.id)
        event.correlationID = event.correlationID ?? cause.correlationID ?? UUIDText.lowercased(cause.id)
        // Traced: the `outbox write` span is a child of the active (handler) span, else of the
        // cause's trace, and the emitted event carries the write span's traceparent. Under the
        // no-op tracer it carries the cause's traceparent.
        let record = try writer.prepare(event, continuing: cause.traceparent)
        buffer.append(record)
        return record.envelope
    }
}
