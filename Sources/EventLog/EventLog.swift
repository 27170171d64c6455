import Consumers
import Postgres
import Services

/// A ready-made idempotent consumer service: records every event it handles in an
/// `event_log` table (id, type, key, data, source, correlation, time). Useful as an audit
/// trail and as the smallest real deployment of a consumer group.
public enum EventLog {
    /// The `event-log` service: any type its groups list is recorded (older versions
    /// upcast first).
    public static var service: ServiceDescription {
        ServiceDescription(
            name: "event-log", migrations: migrations, fallbackHandler: handler, upcasters: ContractUpcasters.all)
    }

    public static let migrations: [Migration] = [
        Migration(
            id: "choreo-event-log-001",
            sql: """
                CREATE TABLE IF NOT EXISTS event_log (
                    event_id       uuid        NOT NULL,
                    consumer_group text        NOT NULL,
                    event_type     text        NOT NULL,
                    partition_key  text,
                    source         text        NOT NULL,
                    correlation_id text,
                    data           jsonb       NOT NULL,
                    event_time     timestamptz NOT NULL,
                    logged_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (consumer_group, event_id)
                );
                """
        )
    ]

    /// Writes the event into `event_log` in the batch transaction.
    public static let handler: EventHandler = { event, context in
        try await context.write(
            """
            INSERT INTO event_log (event_id, consumer_group, event_type, partition_key, source, correlation_id, data, event_time)
            VALUES (\(event.envelope.id), \(context.group), \(event.envelope.type.description), \(event.key),
                    \(event.envelope.source), \(event.envelope.correlationID), \(PostgresJSON(event.data)), \(event.envelope.time))
            """)
    }
}
