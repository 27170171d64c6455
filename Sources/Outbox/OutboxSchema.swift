import Postgres

/// The outbox table of one service database: its migrations and its SQL names.
///
/// The table is a public contract (see `docs/outbox.md`): code in any language may
/// insert rows into it directly and the relay publishes them. Rows are published in
/// `id` order; `event_id` becomes the CloudEvents `ce_id`.
public struct OutboxSchema: Sendable {
    /// The table name (default `outbox`). Validated as a plain SQL identifier.
    public let table: String
    /// The `LISTEN/NOTIFY` channel the insert trigger notifies (default `choreo_outbox`).
    public let channel: String

    /// - Throws: `OutboxError.configuration` when `table` or `channel` is not a plain identifier
    ///   (`[a-z_][a-z0-9_]*`, at most 48 characters).
    public init(table: String = "outbox", channel: String = "choreo_outbox") throws {
        for (what, name) in [("table", table), ("channel", channel)] {
            guard Self.isPlainIdentifier(name) else {
                throw OutboxError(
                    code: .configuration,
                    message: "outbox \(what) name must match [a-z_][a-z0-9_]* and have at most 48 characters"
                )
            }
        }
        self.table = table
        self.channel = channel
    }

    /// The default schema: table `outbox`, channel `choreo_outbox`.
    public static let standard: OutboxSchema = {
        // Both names are constants that satisfy `isPlainIdentifier`.
        guard let schema = try? OutboxSchema() else { preconditionFailure("default outbox names are valid") }
        return schema
    }()

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 48 else { return false }
        let isLetter: (UInt8) -> Bool = { ($0 >= 97 && $0 <= 122) || $0 == 95 }
        guard isLetter(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// The table where the relay records the keys it cannot publish (`choreo relay status`).
    public var blockedTable: String { "\(table)_blocked" }

    /// The migrations that create the table, its pending-rows index and the notify trigger;
    /// then make `payload` a `json` column, which keeps the bytes the writer validated and
    /// sized exactly (`jsonb` re-serialises them); then create the blocked-keys table.
    /// Apply them with `Migrator` on the service database; they are idempotent and work on
    /// databases created by earlier versions (existing rows keep the text `jsonb` gave them).
    public var migrations: [Migration] {
        [
            Migration(
                id: "choreo-outbox-001-\(table)",
                sql: """
                    CREATE TABLE IF NOT EXISTS \(table) (
                        id            bigserial   PRIMARY KEY,
                        event_id      uuid        NOT NULL UNIQUE,
                        topic         text        NOT NULL,
                        partition_key text,
                        event_type    text        NOT NULL,
                        headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
                        payload       jsonb       NOT NULL,
                        created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
                        delivered_at  timestamptz,
                        CHECK (jsonb_typeof(headers) = 'object')
                    );
                    CREATE INDEX IF NOT EXISTS \(table)_pending_idx ON \(table) (id) WHERE delivered_at IS NULL;
                    CREATE INDEX IF NOT EXISTS \(table)_delivered_idx ON \(table) (delivered_at)
                        WHERE delivered_at IS NOT NULL;
                    CREATE OR REPLACE FUNCTION \(table)_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        PERFORM pg_notify('\(channel)', '');
                        RETURN NULL;
                    END $$;
                    DROP TRIGGER IF EXISTS \(table)_notify_trg ON \(table);
                    CREATE TRIGGER \(table)_notify_trg AFTER INSERT ON \(table)
                        FOR EACH STATEMENT EXECUTE FUNCTION \(table)_notify();
                    """
            ),
            Migration(
                id: "choreo-outbox-002-\(table)-payload-json",
                sql: """
                    ALTER TABLE \(table) ALTER COLUMN payload TYPE json USING payload::json;
                    """
            ),
            Migration(
                id: "choreo-outbox-003-\(blockedTable)",
                sql: """
                    CREATE TABLE IF NOT EXISTS \(blockedTable) (
                        blocker_id      bigint      PRIMARY KEY,
                        partition_key   text,
                        topic           text        NOT NULL,
                        event_type      text        NOT NULL,
                        code            text        NOT NULL,
                        reason          text        NOT NULL,
                        blocked_since   timestamptz NOT NULL DEFAULT clock_timestamp(),
                        attempts        integer     NOT NULL DEFAULT 1,
                        next_attempt_at timestamptz NOT NULL
                    );
                    """
            ),
        ]
    }

    /// Applies the outbox migrations on `connection` (once; recorded by `Migrator`).
    public func install(on connection: PostgresConnection) async throws {
        _ = try await Migrator(migrations: migrations).migrate(on: connection)
    }
}
