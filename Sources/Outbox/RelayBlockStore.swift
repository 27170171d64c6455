import Foundation
import Postgres

/// The blocked-keys table (`OutboxSchema.blockedTable`): the active relay writes each block,
/// retry and release there, so that `choreo relay status` in another process can list them.
struct RelayBlockStore: Sendable {
    let schema: OutboxSchema

    func save(_ block: OutboxBlockedKey, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO \(unsafeSQL: schema.blockedTable)
                (blocker_id, partition_key, topic, event_type, code, reason, blocked_since, attempts, next_attempt_at)
            VALUES (\(block.blockerID), \(block.key), \(block.topic), \(block.eventType), \(block.code), \(block.reason),
                    \(block.since), \(Int64(block.attempts)), \(block.nextAttemptAt))
            ON CONFLICT (blocker_id) DO UPDATE SET code = excluded.code, reason = excluded.reason,
                attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at
            """)
    }

    func delete(id: Int64, on connection: PostgresConnection) async throws {
        try await connection.execute("DELETE FROM \(unsafeSQL: schema.blockedTable) WHERE blocker_id = \(id)")
    }

    /// Forgets blocks whose row is no longer pending (delivered, or deleted by an operator),
    /// then returns the others.
    func loadPending(on connection: PostgresConnection) async throws -> [OutboxBlockedKey] {
        try await connection.execute(
            """
            DELETE FROM \(unsafeSQL: schema.blockedTable) b WHERE NOT EXISTS (
                SELECT 1 FROM \(unsafeSQL: schema.table) o WHERE o.id = b.blocker_id AND o.delivered_at IS NULL)
            """)
        return try await list(on: connection).map(\.block)
    }

    /// Every block, with the number of pending rows waiting behind it (the blocker included).
    func list(on connection: PostgresConnection) async throws -> [(block: OutboxBlockedKey, waiting: Int)] {
        let rows = try await connection.query(
            """
            SELECT b.blocker_id, b.partition_key, b.topic, b.event_type, b.code, b.reason, b.blocked_since,
                   b.attempts::bigint, b.next_attempt_at,
                   CASE WHEN b.partition_key IS NULL THEN 1 ELSE (
                       SELECT count(*) FROM \(unsafeSQL: schema.table) o
                       WHERE o.delivered_at IS NULL AND o.partition_key = b.partition_key AND o.id >= b.blocker_id)
                   END::bigint
            FROM \(unsafeSQL: schema.blockedTable) b ORDER BY b.blocker_id
            """)
        return try rows.map { row in
            let block = OutboxBlockedKey(
                key: try row.decode(String?.self, column: 1), blockerID: try row.decode(Int64.self, column: 0),
                topic: try row.decode(String.self, column: 2), eventType: try row.decode(String.self, column: 3),
                code: try row.decode(String.self, column: 4), reason: try row.decode(String.self, column: 5),
                since: try row.decode(Date.self, column: 6), attempts: Int(try row.decode(Int64.self, column: 7)),
                nextAttemptAt: try row.decode(Date.self, column: 8))
            return (block, Int(try row.decode(Int64.self, column: 9)))
        }
    }
}
