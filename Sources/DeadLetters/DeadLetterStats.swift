import Postgres

/// Counts of stored dead letters by group, reason, type, status and age.
public struct DeadLetterStats: Sendable, Equatable {
    /// One count: `dimension` is `group`, `reason`, `type`, `status` or `age`.
    public struct Count: Sendable, Equatable {
        public var dimension: String
        public var value: String
        public var count: Int64
        /// Of those, still pending.
        public var pending: Int64
    }

    public var total: Int64
    public var counts: [Count]

    /// Age buckets by failure time: `<1h`, `1h-1d`, `1d-7d`, `>7d`.
    static let query: PostgresQuery = """
        WITH d AS (
            SELECT consumer_group, reason, coalesce(event_type || '.v' || event_version, event_type, '(none)') AS type,
                status,
                CASE WHEN failed_at > now() - interval '1 hour' THEN '<1h'
                     WHEN failed_at > now() - interval '1 day' THEN '1h-1d'
                     WHEN failed_at > now() - interval '7 days' THEN '1d-7d'
                     ELSE '>7d' END AS age
            FROM dead_letters)
        SELECT 'group', consumer_group, count(*), count(*) FILTER (WHERE status = 'pending') FROM d GROUP BY 2
        UNION ALL SELECT 'reason', reason, count(*), count(*) FILTER (WHERE status = 'pending') FROM d GROUP BY 2
        UNION ALL SELECT 'type', type, count(*), count(*) FILTER (WHERE status = 'pending') FROM d GROUP BY 2
        UNION ALL SELECT 'status', status, count(*), count(*) FILTER (WHERE status = 'pending') FROM d GROUP BY 2
        UNION ALL SELECT 'age', age, count(*), count(*) FILTER (WHERE status = 'pending') FROM d GROUP BY 2
        ORDER BY 1, 2
        """
}

extension DeadLetterStore {
    /// Counts by group, reason, type, status and age.
    public func stats() async throws -> DeadLetterStats {
        try await pool.withConnection { connection in
            let counts = try await connection.query(DeadLetterStats.query).map { row in
                DeadLetterStats.Count(
                    dimension: try row.decode(String.self, column: 0), value: try row.decode(String.self, column: 1),
                    count: try row.decode(Int64.self, column: 2), pending: try row.decode(Int64.self, column: 3))
            }
            let total = counts.filter { $0.dimension == "status" }.reduce(0) { $0 + $1.count }
            return DeadLetterStats(total: total, counts: counts)
        }
    }

    /// Pending records of `groups` whose automatic re-drive is due, oldest first.
    public func dueRedrives(groups: [String], limit: Int = 100) async throws -> [DeadLetterRecord] {
        try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT \(unsafeSQL: DeadLetterRecord.columns) FROM dead_letters
                WHERE status = 'pending' AND next_redrive_at IS NOT NULL AND next_redrive_at <= clock_timestamp()
                  AND consumer_group = ANY(\(groups)::text[])
                ORDER BY next_redrive_at LIMIT \(limit)
                """
            ).map(DeadLetterRecord.init)
        }
    }
}
