import Contracts
import Foundation
import Kafka
import Postgres
import Tracing

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
    /// The largest Kafka message accepted, in bytes: the data, the key and every header's
    /// name and value, counted as the relay's producer counts them (default 1,000,000, the
    /// default `message.max.bytes` of `KafkaProducerConfiguration` and librdkafka). Set it to
    /// the relay producer's `maxMessageBytes` if that differs; the relay blocks a row's key
    /// when its message is larger.
    public var maxMessageBytes: Int = KafkaProducerConfiguration(bootstrapServers: "").maxMessageBytes
    /// The largest header set accepted (names and values), in bytes (default 64 KiB, the
    /// producer's default `maxHeaderBytes`).
    public var maxHeaderBytes: Int = KafkaProducerConfiguration(bootstrapServers: "").maxHeaderBytes

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
    ///
    /// Traced as an `outbox write` span (see `prepare(_:continuing:)`) that ends after the insert.
    /// - Returns: the envelope the event will be published with.
    @discardableResult
    public func append(_ event: OutboxEvent, on connection: PostgresConnection) async throws -> EventEnvelope {
        try await append([event], on: connection)[0]
    }

    /// Appends several events in one statement, in order; all or none are inserted.
    @discardableResult
    public func append(_ events: [OutboxEvent], on connection: PostgresConnection) async throws -> [EventEnvelope] {
        let spans = events.map { writeSpan(for: $0, continuing: nil) }
        do {
            let records = try zip(events, spans).map { try record($0, span: $1, continuing: nil) }
            try await insert(records, on: connection)
            for span in spans { span?.end() }
            return records.map(\.envelope)
        } catch {
            for span in spans { span?.fail(error) }
            throw error
        }
    }

    /// Inserts prepared records in one statement, in order.
    public func insert(_ records: [OutboxRecord], on connection: PostgresConnection) async throws {
        guard let query = insertQuery(records) else { return }
        try await connection.execute(query)
    }

    /// The statement that inserts `records` in order (nil for none), for callers that run it
    /// themselves — pipelined with other writes, for example.
    public func insertQuery(_ records: [OutboxRecord]) -> PostgresQuery? {
        switch records.count {
        case 0:
            return nil
        case 1:
            let row = records[0]
            return """
                INSERT INTO \(unsafeSQL: schema.table) (event_id, topic, partition_key, event_type, headers, payload)
                VALUES (\(row.envelope.id), \(row.topic), \(row.key), \(row.envelope.type.description),
                        \(PostgresJSON(row.headersJSON)), \(PostgresJSON(row.data)))
                """
        default:
            return """
                INSERT INTO \(unsafeSQL: schema.table) (event_id, topic, partition_key, event_type, headers, payload)
                SELECT e, t, k, y, h::jsonb, p::json
                FROM unnest(\(records.map(\.envelope.id))::uuid[], \(records.map(\.topic))::text[],
                            \(records.map(\.key))::text[], \(records.map(\.envelope.type.description))::text[],
                            \(records.map(\.headersText))::text[], \(records.map { String(decoding: $0.data, as: UTF8.self) })::text[])
                     WITH ORDINALITY AS u(e, t, k, y, h, p, n)
                ORDER BY n
                """
        }
    }

    /// Validates `event` and builds its envelope and row, without touching the database.
    ///
    /// Traced as an `outbox write` span (kind producer; nothing is recorded under the no-op
    /// tracer): a child of `event.traceparent` when the event carries one, else of the task's
    /// active span (a handler's, say), else of `cause` (the traceparent of what caused the
    /// event), else a root. The row's `traceparent` is the event's own, else the write span's,
    /// else `cause`.
    /// - Throws: `OutboxError` (`contract-violation`, `unknown-type`, `no-topic`, `too-large`).
    public func prepare(_ event: OutboxEvent, continuing cause: String? = nil) throws -> OutboxRecord {
        let span = writeSpan(for: event, continuing: cause)
        do {
            let record = try record(event, span: span, continuing: cause)
            span?.end()
            return record
        } catch {
            span?.fail(error)
            throw error
        }
    }

    /// The `outbox write` span of `event`, or nil when no tracer is bootstrapped.
    private func writeSpan(for event: OutboxEvent, continuing cause: String?) -> (any Span)? {
        guard TraceContextPropagation.isTracing else { return nil }
        let parent = event.traceparent ?? (TraceContextPropagation.traceparent() == nil ? cause : nil)
        return TraceContextPropagation.startSpan(
            "outbox write \(event.type)", continuing: parent, ofKind: .producer,
            attributes: OutboxSpanAttributes.write(event: event, source: source, table: schema.table))
    }

    private func record(_ event: OutboxEvent, span: (any Span)?, continuing cause: String?) throws -> OutboxRecord {
        guard event.data.count <= maxMessageBytes else {
            throw OutboxError(
                code: .tooLarge,
                message: "\(event.type) data has \(event.data.count) bytes; the message limit is \(maxMessageBytes)"
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
            correlationID: event.correlationID ?? UUIDText.lowercased(event.id),
            causationID: event.causationID,
            traceparent: event.traceparent ?? span.flatMap { TraceContextPropagation.traceparent(of: $0.context) }
                ?? cause
        )
        let headers = envelope.kafkaHeaders()
        let size = OutboxMessageSize(key: Array(event.key.utf8), valueBytes: event.data.count, headers: headers)
        if let violation = size.violation(maxMessageBytes: maxMessageBytes, maxHeaderBytes: maxHeaderBytes) {
            throw OutboxError(code: .tooLarge, message: "\(event.type): \(violation)")
        }
        span?.attributes["messaging.destination.name"] = topic
        return OutboxRecord(
            envelope: envelope, topic: topic, key: event.key, data: event.data,
            headersJSON: OutboxHeaders.encode(headers))
    }
}

/// An event validated and ready to insert: its envelope and the outbox row's values.
public struct OutboxRecord: Sendable {
    public let envelope: EventEnvelope
    public let topic: String
    public let key: String
    public let data: [UInt8]
    let headersJSON: [UInt8]
    var headersText: String { String(decoding: headersJSON, as: UTF8.self) }
}
