import Contracts
import Foundation
import Postgres

extension DeadLetterStore {
    /// One record of a replay batch.
    public struct ReplayStart: Sendable {
        public var recordID: Int64
        public var detail: JSONObject
    }

    /// One published replay.
    public struct ReplayDone: Sendable {
        public var recordID: Int64
        public var auditID: Int64
        public var outcome: String
    }

    /// Writes one audit entry per record (outcome `publishing`) in one statement; returns
    /// the entry ids by record id. The ids are the replay ids the messages carry.
    public func beginReplays(_ starts: [ReplayStart], actor: String, action: String) async throws -> [Int64: Int64] {
        guard !starts.isEmpty else { return [:] }
        let ids = starts.map(\.recordID)
        let details = starts.map { PostgresJSON(JSONValue.object($0.detail).serialized()) }
        return try await pool.withConnection { connection in
            var audits: [Int64: Int64] = [:]
            for row in try await connection.query(
                """
                INSERT INTO dead_letter_audit (record_id, actor, action, outcome, detail)
                SELECT r, \(actor), \(action), 'publishing', d FROM unnest(\(ids)::bigint[], \(details)::jsonb[]) AS t(r, d)
                RETURNING record_id, id
                """)
            {
                audits[try row.decode(Int64.self, column: 0)] = try row.decode(Int64.self, column: 1)
            }
            return audits
        }
    }

    /// Marks published replays in one transaction: the records become `replayed` (replay
    /// count + 1; re-drives + 1 when `automatic`; edited data becomes the value) and each
    /// audit entry gets its outcome.
    public func completeReplays(_ done: [ReplayDone], automatic: Bool, editedData: [UInt8]? = nil) async throws {
        guard !done.isEmpty else { return }
        let ids = done.map(\.recordID)
        let audits = done.map(\.auditID)
        let outcomes = done.map(\.outcome)
        try await pool.withConnection { connection in
            try await connection.withTransaction { tx in
                try await tx.execute(
                    """
                    UPDATE dead_letters SET status = 'replayed', replay_count = replay_count + 1,
                        redrives = redrives + \(automatic ? 1 : 0), next_redrive_at = NULL,
                        value = coalesce(\(editedData.map { Data($0) })::bytea, value),
                        updated_at = clock_timestamp()
                    WHERE id = ANY(\(ids)::bigint[])
                    """)
                try await tx.execute(
                    """
                    UPDATE dead_letter_audit a SET outcome = u.o
                    FROM unnest(\(audits)::bigint[], \(outcomes)::text[]) AS u(a, o) WHERE a.id = u.a
                    """)
            }
        }
    }
}
