import Foundation
import Postgres

/// Order-preserving mode, for operators and the dead-letter tool: the keys a group has
/// blocked, and releasing or discarding a key's blocker.
///
/// A key is blocked by an event that failed (waiting in a retry topic or dead-lettered) or
/// that the classifier dead-lettered; later events of the key are parked behind it. Replaying
/// the blocker's dead letter (same `ce_id`) releases the key by itself when it succeeds.
/// These functions are for when it will not be replayed. They take a connection to the
/// group's database and may run while the group runs.
public enum ParkedKeys {
    /// One blocked key.
    public struct Blocker: Sendable, Equatable {
        public var key: String
        /// The event blocking the key.
        public var blockingEvent: UUID
        /// Events of the key parked behind it.
        public var parkedEvents: Int
        public var since: Date
    }

    /// The group's blocked keys, oldest first (at most `limit`).
    public static func blockers(group: String, limit: Int = 1_000, on connection: PostgresConnection) async throws
        -> [Blocker]
    {
        let rows = try await connection.query(
            """
            SELECT k.partition_key, k.blocking_event, k.parked_at,
                   (SELECT count(*) FROM parked_events e
                    WHERE e.consumer_group = k.consumer_group AND e.partition_key = k.partition_key)
            FROM parked_keys k WHERE k.consumer_group = \(group) ORDER BY k.parked_at LIMIT \(limit)
            """)
        return try rows.map { row in
            Blocker(
                key: try row.decode(String.self, column: 0), blockingEvent: try row.decode(UUID.self, column: 1),
                parkedEvents: Int(try row.decode(Int64.self, column: 3)), since: try row.decode(Date.self, column: 2))
        }
    }

    /// Releases `key`: removes its blocker — only if it is `blockingEvent`, when given — so
    /// that the running group applies the key's parked events, in order, within seconds (its
    /// orphan release). Use it when the blocker's dead letter is discarded. Returns whether a
    /// blocker was removed.
    @discardableResult
    public static func release(
        group: String, key: String, blockingEvent: UUID? = nil, on connection: PostgresConnection
    )
        async throws -> Bool
    {
        let deleted: Int
        if let blockingEvent {
            deleted = try await connection.execute(
                """
                DELETE FROM parked_keys WHERE consumer_group = \(group) AND partition_key = \(key)
                AND blocking_event = \(blockingEvent)
                """)
        } else {
            deleted = try await connection.execute(
                "DELETE FROM parked_keys WHERE consumer_group = \(group) AND partition_key = \(key)")
        }
        return deleted > 0
    }

    /// Discards `key`'s blocker and every event parked behind it: they are never applied
    /// (their processed-event rows stay, so redeliveries are skipped too). Returns the
    /// number of parked events discarded.
    @discardableResult
    public static func discard(group: String, key: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.withTransaction { tx in
            try await tx.execute("DELETE FROM parked_keys WHERE consumer_group = \(group) AND partition_key = \(key)")
            return try await tx.execute(
                "DELETE FROM parked_events WHERE consumer_group = \(group) AND partition_key = \(key)")
        }
    }

    /// Like ``discard(group:key:on:)``, but only while `blockingEvent` blocks `key`: returns
    /// the number of parked events discarded, or `nil` (nothing changed) when it does not.
    public static func discard(group: String, key: String, blockingEvent: UUID, on connection: PostgresConnection)
        async throws -> Int?
    {
        try await connection.withTransaction { tx in
            let blockers = try await tx.execute(
                """
                DELETE FROM parked_keys WHERE consumer_group = \(group) AND partition_key = \(key)
                AND blocking_event = \(blockingEvent)
                """)
            guard blockers > 0 else { return nil }
            return try await tx.execute(
                "DELETE FROM parked_events WHERE consumer_group = \(group) AND partition_key = \(key)")
        }
    }
}
