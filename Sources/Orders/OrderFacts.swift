import Foundation
import Postgres

/// What Orders' database says, for operators (`choreo verify`, the `dev up` status): read
/// only, from a connection to the Orders database.
public enum OrderFacts {
    /// Orders by status, counting those requested at or after `since`.
    public struct Counts: Sendable, Equatable {
        public var placed = 0
        public var confirmed = 0
        public var cancelled = 0
        /// Cancelled at once (unknown customer), never placed.
        public var rejected = 0
        public var total: Int { placed + confirmed + cancelled }
        public init() {}
    }

    public static func counts(since: Date = Date(timeIntervalSince1970: 0), on connection: PostgresConnection)
        async throws -> Counts
    {
        let rows = try await connection.query(
            """
            SELECT status, accepted, count(*) FROM orders WHERE requested_at >= \(since) GROUP BY status, accepted
            """)
        var counts = Counts()
        for row in rows {
            let count = try row.decode(Int.self, column: 2)
            switch (try row.decode(String.self, column: 0), try row.decode(Bool.self, column: 1)) {
            case ("placed", _): counts.placed += count
            case ("confirmed", _): counts.confirmed += count
            case ("cancelled", true): counts.cancelled += count
            case ("cancelled", false): counts.cancelled += count; counts.rejected += count
            default: break
            }
        }
        return counts
    }

    /// How many orders requested at or after `since` are still placed (neither confirmed nor
    /// cancelled). Reads only the partial index of open orders, so it stays cheap while the
    /// table grows: what a settle loop polls before it counts everything.
    public static func openCount(since: Date = Date(timeIntervalSince1970: 0), on connection: PostgresConnection)
        async throws -> Int
    {
        let rows = try await connection.query(
            "SELECT count(*) FROM orders WHERE status = 'placed' AND requested_at >= \(since)")
        return try rows.first?.decode(Int.self, column: 0) ?? 0
    }

    /// p50 and p99 of the time from the `order.place` command to the order's terminal state,
    /// in milliseconds, over accepted orders requested at or after `since` (nil: none yet).
    public static func completionLatency(since: Date, on connection: PostgresConnection) async throws -> (
        p50: Double, p99: Double
    )? {
        let rows = try await connection.query(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)
            FROM (SELECT extract(epoch FROM completed_at - requested_at) * 1000 AS ms FROM orders
                  WHERE accepted AND completed_at IS NOT NULL AND requested_at >= \(since)) AS done
            """)
        guard let row = rows.first, let p50 = try row.decode(Double?.self, column: 0),
            let p99 = try row.decode(Double?.self, column: 1)
        else { return nil }
        return (p50, p99)
    }

    /// How many accepted orders requested at or after `since` reached their terminal state
    /// in `from..<to`, and when the last of them did (`nil`: none did).
    public static func completions(since: Date, from: Date, to: Date, on connection: PostgresConnection) async throws
        -> (count: Int, last: Date?)
    {
        let rows = try await connection.query(
            """
            SELECT count(*), max(completed_at) FROM orders
            WHERE accepted AND requested_at >= \(since) AND completed_at >= \(from) AND completed_at < \(to)
            """)
        guard let row = rows.first else { return (0, nil) }
        return (try row.decode(Int.self, column: 0), try row.decode(Date?.self, column: 1))
    }

    /// Every order that ended: its id, whether it was confirmed, and its payment id.
    public struct Ended: Sendable {
        public var orderID: UUID
        public var confirmed: Bool
        public var paymentID: UUID?
    }

    /// Orders requested at or after `since` that ended.
    public static func ended(since: Date = Date(timeIntervalSince1970: 0), on connection: PostgresConnection)
        async throws -> [Ended]
    {
        try await connection.query(
            """
            SELECT order_id, status = 'confirmed', payment_id FROM orders
            WHERE status <> 'placed' AND requested_at >= \(since)
            """
        ).map {
            Ended(
                orderID: try $0.decode(UUID.self, column: 0), confirmed: try $0.decode(Bool.self, column: 1),
                paymentID: try $0.decode(UUID?.self, column: 2))
        }
    }

    /// How many of `customers` Orders has seen registered.
    public static func knownCustomers(_ customers: [UUID], on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            "SELECT count(*) FROM known_customers WHERE customer_id = ANY(\(customers))")
        return try rows.first?.decode(Int.self, column: 0) ?? 0
    }
}

extension OrderFacts {
    /// Cancelled orders requested at or after `since`, by reason.
    public static func cancelReasons(since: Date, on connection: PostgresConnection) async throws -> [String: Int] {
        var reasons: [String: Int] = [:]
        for row in try await connection.query(
            """
            SELECT coalesce(cancel_reason, ''), count(*) FROM orders
            WHERE status = 'cancelled' AND requested_at >= \(since) GROUP BY 1
            """)
        {
            reasons[try row.decode(String.self, column: 0)] = try row.decode(Int.self, column: 1)
        }
        return reasons
    }
}
