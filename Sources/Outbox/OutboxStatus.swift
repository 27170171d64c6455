import Foundation
import Postgres

/// What `choreo relay status` shows, read from the database so any process can ask: the
/// backlog and the keys the active relay has blocked, with their reasons.
public struct OutboxStatus: Sendable {
    public struct Blocked: Sendable, Equatable {
        public var block: OutboxBlockedKey
        /// Pending rows of the key waiting behind its blocker, the blocker included.
        public var waitingRows: Int
    }

    /// Pending rows.
    public var backlog: Int
    /// Age of the oldest pending row in seconds (0 when none).
    public var oldestPendingAge: TimeInterval
    public var blocked: [Blocked]

    /// Reads the status of `schema`'s outbox on `connection`.
    public static func read(schema: OutboxSchema = .standard, on connection: PostgresConnection) async throws
        -> OutboxStatus
    {
        let (backlog, age) = try await backlog(schema: schema, on: connection)
        let blocked = try await RelayBlockStore(schema: schema).list(on: connection)
        return OutboxStatus(
            backlog: backlog, oldestPendingAge: age,
            blocked: blocked.map { Blocked(block: $0.block, waitingRows: $0.waiting) })
    }

    /// Pending rows and the oldest one's age in seconds.
    static func backlog(schema: OutboxSchema, on connection: PostgresConnection) async throws -> (Int, TimeInterval) {
        let rows = try await connection.query(
            """
            SELECT count(*)::bigint, COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8
            FROM \(unsafeSQL: schema.table) WHERE delivered_at IS NULL
            """)
        return (
            Int(try rows.first?.decode(Int64.self, column: 0) ?? 0), try rows.first?.decode(Double.self, column: 1) ?? 0
        )
    }
}
