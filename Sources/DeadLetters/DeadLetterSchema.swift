import Postgres

/// The dead-letter store's tables in the operations database: `dead_letters` (one row per
/// dead-lettered message) and `dead_letter_audit` (every action on a record).
public enum DeadLetterSchema {
    /// Migrations creating the tables and the indexes the `list` filters use. Idempotent.
    public static let migrations: [Migration] = [
        Migration(
            id: "choreo-dead-letters-001-store",
            sql: """
                CREATE TABLE IF NOT EXISTS dead_letters (
                    id                 bigserial   PRIMARY KEY,
                    consumer_group     text        NOT NULL,
                    original_topic     text        NOT NULL,
                    original_partition integer     NOT NULL,
                    original_offset    bigint      NOT NULL,
                    source_topic       text        NOT NULL,
                    dlq_topic          text        NOT NULL,
                    dlq_partition      integer     NOT NULL,
                    dlq_offset         bigint      NOT NULL,
                    key                bytea,
                    key_text           text,
                    value              bytea,
                    headers            jsonb       NOT NULL,
                    event_id           text,
                    event_type         text,
                    event_version      integer,
                    event_time         timestamptz,
                    reason             text        NOT NULL,
                    error              text        NOT NULL,
                    attempts           integer     NOT NULL,
                    failed_at          timestamptz NOT NULL,
                    status             text        NOT NULL DEFAULT 'pending'
                                       CHECK (status IN ('pending', 'replayed', 'discarded', 'held')),
                    replay_count       integer     NOT NULL DEFAULT 0,
                    parent_id          bigint      REFERENCES dead_letters (id),
                    redrives           integer     NOT NULL DEFAULT 0,
                    next_redrive_at    timestamptz,
                    stored_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
                    updated_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
                    UNIQUE (consumer_group, original_topic, original_partition, original_offset)
                );
                CREATE INDEX IF NOT EXISTS dead_letters_group_idx ON dead_letters (consumer_group, failed_at);
                CREATE INDEX IF NOT EXISTS dead_letters_reason_idx ON dead_letters (reason, failed_at);
                CREATE INDEX IF NOT EXISTS dead_letters_type_idx ON dead_letters (event_type, event_version);
                CREATE INDEX IF NOT EXISTS dead_letters_key_idx ON dead_letters (key_text);
                CREATE INDEX IF NOT EXISTS dead_letters_status_idx ON dead_letters (status, failed_at);
                CREATE INDEX IF NOT EXISTS dead_letters_failed_at_idx ON dead_letters (failed_at);
                CREATE INDEX IF NOT EXISTS dead_letters_redrive_idx ON dead_letters (next_redrive_at)
                    WHERE status = 'pending' AND next_redrive_at IS NOT NULL;
                CREATE TABLE IF NOT EXISTS dead_letter_audit (
                    id        bigserial   PRIMARY KEY,
                    record_id bigint      NOT NULL REFERENCES dead_letters (id),
                    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
                    actor     text        NOT NULL,
                    action    text        NOT NULL,
                    outcome   text        NOT NULL,
                    detail    jsonb       NOT NULL DEFAULT '{}'
                );
                CREATE INDEX IF NOT EXISTS dead_letter_audit_record_idx ON dead_letter_audit (record_id, id);
                """
        )
    ]

    /// Applies the migrations on `connection` (the operations database).
    public static func install(on connection: PostgresConnection) async throws {
        _ = try await Migrator(migrations: migrations, table: "choreo_ops_migrations").migrate(on: connection)
    }
}
