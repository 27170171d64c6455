import Metrics
import Postgres
import Synchronization

/// `choreo_dead_letters{status,reason}`: the stored records by status and reason, set from
/// the store by `refresh` (the `dlq worker` calls it every `gaugeInterval` and after each
/// batch it stores). A pair that no longer has records is set to 0, not left at its last
/// value. The reasons are the `dlq_reason` codes (`DeadLetterReason`), a short fixed set.
public final class DeadLetterGauge: Sendable {
    /// The series set so far, by (status, reason).
    private let gauges = Mutex<[Pair: Gauge]>([:])

    struct Pair: Hashable {
        var status: String
        var reason: String
    }

    public init() {}

    /// Reads the counts from `store` and sets the gauge.
    public func refresh(from store: DeadLetterStore) async throws {
        set(try await store.countsByStatusAndReason())
    }

    /// Sets each (status, reason) pair's count; pairs seen before and absent now become 0.
    public func set(_ counts: [DeadLetterStore.StatusReasonCount]) {
        gauges.withLock { gauges in
            var now: [Pair: Int64] = [:]
            for count in counts { now[Pair(status: count.status, reason: count.reason), default: 0] += count.count }
            for pair in Set(gauges.keys).union(now.keys) {
                let gauge =
                    gauges[pair]
                    ?? Gauge(
                        label: "choreo_dead_letters", dimensions: [("status", pair.status), ("reason", pair.reason)])
                gauges[pair] = gauge
                gauge.record(now[pair] ?? 0)
            }
        }
    }
}

extension DeadLetterStore {
    /// One (status, reason) pair's number of stored records.
    public struct StatusReasonCount: Sendable, Equatable {
        public var status: String
        public var reason: String
        public var count: Int64
    }

    /// The stored records counted by status and reason.
    public func countsByStatusAndReason() async throws -> [StatusReasonCount] {
        try await pool.withConnection { connection in
            try await connection.query(
                "SELECT status, reason, count(*) FROM dead_letters GROUP BY status, reason ORDER BY 1, 2"
            ).map { row in
                StatusReasonCount(
                    status: try row.decode(String.self, column: 0), reason: try row.decode(String.self, column: 1),
                    count: try row.decode(Int64.self, column: 2))
            }
        }
    }
}
