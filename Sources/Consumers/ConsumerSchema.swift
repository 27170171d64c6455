import Postgres

/// The consumer runtime's tables in a service database: the processed-event (inbox)
/// table that makes handlers idempotent, and the parking tables of order-preserving mode.
public enum ConsumerSchema {
    /// Migrations creating `processed_events`, `parked_keys`, `parked_events` and
    /// `parked_publications`. Idempotent.
    public static let migrations: [Migration] = [
        Migration(
            id: "choreo-consumers-001-processed-events",
            sql: """
                CREATE TABLE IF NOT EXISTS processed_events (
                    consumer_group text        NOT NULL,
                    event_id       uuid        NOT NULL,
                    processed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (consumer_group, event_id)
                );
                CREATE INDEX IF NOT EXISTS processed_events_age_idx ON processed_events (processed_at);
                """
        ),
        Migration(
            id: "choreo-consumers-002-parking",
            sql: """
                CREATE TABLE IF NOT EXISTS parked_keys (
                    consumer_group   text        NOT NULL,
                    partition_key    text        NOT NULL,
                    blocking_event   uuid        NOT NULL,
                    parked_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (consumer_group, partition_key)
                );
                CREATE TABLE IF NOT EXISTS parked_events (
                    seq            bigserial   PRIMARY KEY,
                    consumer_group text        NOT NULL,
                    partition_key  text        NOT NULL,
                    event_id       uuid        NOT NULL,
                    topic          text        NOT NULL,
                    kafka_partition integer    NOT NULL,
                    kafka_offset   bigint      NOT NULL,
                    headers        jsonb       NOT NULL,
                    payload        bytea,
                    parked_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
                    UNIQUE (consumer_group, event_id)
                );
                CREATE INDEX IF NOT EXISTS parked_events_key_idx ON parked_events (consumer_group, partition_key, seq);
                """
        ),
        Migration(
            id: "choreo-consumers-003-parked-publications",
            sql: """
                CREATE TABLE IF NOT EXISTS parked_publications (
                    seq             bigserial   PRIMARY KEY,
                    consumer_group  text        NOT NULL,
                    event_id        uuid        NOT NULL,
                    topic           text        NOT NULL,
                    kafka_partition integer     NOT NULL,
                    kafka_offset    bigint      NOT NULL,
                    message_key     bytea,
                    headers         jsonb       NOT NULL,
                    payload         bytea,
                    attempt         integer     NOT NULL,
                    error           text        NOT NULL,
                    permanent       boolean     NOT NULL,
                    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
                );
                CREATE INDEX IF NOT EXISTS parked_publications_group_idx ON parked_publications (consumer_group, seq);
                """
        ),
    ]

    /// Applies the migrations on `connection`.
    public static func install(on connection: PostgresConnection) async throws {
        _ = try await Migrator(migrations: migrations).migrate(on: connection)
    }
}
