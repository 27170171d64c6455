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
        event.causationID = event.causationID ?? cause.id.uuidString.lowercased()
        event.correlationID = event.correlationID ?? cause.correlationID ?? cause.id.uuidString.lowercased()
        event.traceparent = event.traceparent ?? cause.traceparent
        let record = try writer.prepare(event)
        buffer.append(record)
        return record.envelope
    }
}
