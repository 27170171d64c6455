import Contracts
import Foundation
import Postgres

/// Records events in the outbox inside the caller's database transaction.
///
/// Guarantee: when the caller's transaction commits, every appended event is in the
/// outbox and the relay will publish it at least once; when it rolls back, none exists.
/// Write the aggregate first and the events after it in the same transaction, so that
/// per-aggregate outbox order equals commit order.
///
/// The writer validates data against its contract before inserting: an invalid event
/// throws `OutboxError.contractViolation` and nothing is inserted. It holds no
/// connection; it is safe to share between tasks.
public struct OutboxWriter: Sendable {
    public let registry: ContractRegistry
    /// `ce_source` of every event this writer records, e.g. `/services/orders`.
    public let source: String
    public let routes: OutboxRoutes
    public let schema: OutboxSchema
    /// The largest data accepted, in bytes (default 1 MiB, Kafka's default message size).
    public var maxDataBytes: Int = 1_000_000

    public init(
        registry: ContractRegistry,
        source: String,
        routes: OutboxRoutes = OutboxRoutes(),
        schema: OutboxSchema = .standard
    ) {
        self.registry = registry
        self.source = source
        self.routes = routes
        self.schema = schema
    }

    /// Validates `event`, builds its envelope and inserts its row using `connection`,
    /// which must be inside the caller's transaction (`withTransaction`).
    /// - Returns: the envelope the event will be published with.
    @discardableResult
    public func append(_ event: OutboxEvent, on connection: PostgresConnection) async throws -> EventEnvelope {
        let row = try prepare(event)
        try await connection.execute(
            """
            INSERT INTO \(unsafeSQL: schema.table) (event_id, topic, partition_key, event_type, headers, payload)
            VALUES (\(row.envelope.id), \(row.topic), \(event.key), \(event.type.description),
                    \(PostgresJSON(row.headersJSON)), \(PostgresJSON(event.data)))
            """
        )
        return row.envelope
    }

    /// Appends several events in one statement, in order; all or none are inserted.
    @discardableResult
    public func append(_ events: [OutboxEvent], on connection: PostgresConnection) async throws -> [EventEnvelope] {
        guard !events.isEmpty else { return [] }
        if events.count == 1 { return [try await append(events[0], on: connection)] }
        let rows = try events.map(prepare)
        try await connection.execute(
            """
            INSERT INTO \(unsafeSQL: schema.table) (event_id, topic, partition_key, event_type, headers, payload)
            SELECT e, t, k, y, h::jsonb, p::jsonb
            FROM unnest(\(rows.map(\.envelope.id))::uuid[], \(rows.map(\.topic))::text[],
                        \(events.map(\.key))::text[], \(events.map(\.type.description))::text[],
                        \(rows.map(\.headersText))::text[], \(events.map { String(decoding: $0.data, as: UTF8.self) })::text[])
                 WITH ORDINALITY AS u(e, t, k, y, h, p, n)
            ORDER BY n
            """
        )
        return rows.map(\.envelope)
    }

    struct PreparedRow {
        var envelope: EventEnvelope
        var topic: String
        var headersJSON: [UInt8]
        var headersText: String { String(decoding: headersJSON, as: UTF8.self) }
    }

    func prepare(_ event: OutboxEvent) throws -> PreparedRow {
        guard event.data.count <= maxDataBytes else {
            throw OutboxError(
                code: .tooLarge,
                message: "\(event.type) data has \(event.data.count) bytes; the limit is \(maxDataBytes)"
            )
        }
        guard let topic = event.topic ?? routes.topic(for: event.type) else {
            throw OutboxError(
                code: .noTopic,
                message: "no topic carries \(event.type); declare it in topics/*.yaml or pass a topic"
            )
        }
        guard registry.contract(for: event.type) != nil else {
            throw OutboxError(code: .unknownType, message: "\(event.type) has no contract in contracts/")
        }
        do {
            try registry.validate(event.data, as: event.type)
        } catch {
            throw OutboxError(code: .contractViolation, message: "\(event.type): \(error)", underlying: error)
        }
        let envelope = EventEnvelope(
            id: event.id,
            type: event.type,
            source: source,
            time: Date(),
            subject: event.subject ?? event.key,
            correlationID: event.correlationID ?? event.id.uuidString.lowercased(),
            causationID: event.causationID,
            traceparent: event.traceparent
        )
        return PreparedRow(envelope: envelope, topic: topic, headersJSON: OutboxHeaders.encode(envelope.kafkaHeaders()))
    }
}
