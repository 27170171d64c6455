import Foundation
import Postgres

/// What Payments' database says, for operators: read only.
public enum PaymentFacts {
    /// Captured payments: order id → payment ids (more than one would be a violation).
    public static func captures(on connection: PostgresConnection) async throws -> [UUID: [UUID]] {
        var captures: [UUID: [UUID]] = [:]
        for row in try await connection.query("SELECT order_id, payment_id FROM payments WHERE status = 'captured'") {
            captures[try row.decode(UUID.self, column: 0), default: []].append(try row.decode(UUID.self, column: 1))
        }
        return captures
    }

    /// Accounts whose used credit differs from the sum of their captured payments, and the
    /// number of accounts.
    public static func unbalancedAccounts(on connection: PostgresConnection) async throws -> (
        unbalanced: Int, accounts: Int
    ) {
        let rows = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE a.used_minor <> coalesce(p.captured, 0)), count(*)
            FROM credit_accounts a
            LEFT JOIN (SELECT customer_id, sum(amount_minor) AS captured FROM payments WHERE status = 'captured'
                       GROUP BY customer_id) p ON p.customer_id = a.customer_id
            """)
        guard let row = rows.first else { return (0, 0) }
        return (try row.decode(Int.self, column: 0), try row.decode(Int.self, column: 1))
    }

    /// How many of `customers` Payments has an account for.
    public static func knownCustomers(_ customers: [UUID], on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            "SELECT count(*) FROM credit_accounts WHERE customer_id = ANY(\(customers))")
        return try rows.first?.decode(Int.self, column: 0) ?? 0
    }
}
