import Foundation
import Postgres

/// The Payments service's tables: its own view of customers' credit and one payment
/// decision per order.
enum PaymentStore {
    static let migrations: [Migration] = [
        Migration(
            id: "payments-001",
            sql: """
                CREATE TABLE IF NOT EXISTS credit_accounts (
                    customer_id        uuid   PRIMARY KEY,
                    credit_limit_minor bigint NOT NULL CHECK (credit_limit_minor >= 0),
                    used_minor         bigint NOT NULL CHECK (used_minor >= 0)
                );
                CREATE TABLE IF NOT EXISTS payments (
                    order_id     uuid        PRIMARY KEY,
                    payment_id   uuid        NOT NULL UNIQUE,
                    customer_id  uuid        NOT NULL,
                    amount_minor bigint      NOT NULL,
                    status       text        NOT NULL CHECK (status IN ('captured', 'failed')),
                    reason       text,
                    decided_at   timestamptz NOT NULL DEFAULT clock_timestamp()
                );
                """)
    ]

    static func openAccount(_ account: CreditAccount) -> PostgresQuery {
        """
        INSERT INTO credit_accounts (customer_id, credit_limit_minor, used_minor)
        VALUES (\(account.customerID), \(account.limitMinor), \(account.usedMinor))
        ON CONFLICT (customer_id) DO NOTHING
        """
    }

    /// The customer's account (nil when Payments has none), locked until the transaction
    /// ends, and whether `order` already has a payment decision: one round trip when the
    /// account exists, two when it does not.
    static func lockAccount(
        _ customer: UUID, deciding order: UUID, on connection: PostgresConnection
    ) async throws -> (account: CreditAccount?, decided: Bool) {
        let rows = try await connection.query(
            """
            SELECT credit_limit_minor, used_minor, EXISTS (SELECT 1 FROM payments WHERE order_id = \(order))
            FROM credit_accounts WHERE customer_id = \(customer) FOR UPDATE OF credit_accounts
            """)
        guard let row = rows.first else {
            return (nil, try await !connection.query("SELECT 1 FROM payments WHERE order_id = \(order)").isEmpty)
        }
        let account = CreditAccount(
            customerID: customer, limitMinor: try row.decode(Int64.self, column: 0),
            usedMinor: try row.decode(Int64.self, column: 1))
        return (account, try row.decode(Bool.self, column: 2))
    }

    /// Records the order's payment decision and, for a capture, the account after the
    /// charge (`charged`; nil for a failure, which uses no credit) — one statement.
    static func decide(
        order: UUID, payment: UUID, customer: UUID, amountMinor: Int64, charged: CreditAccount?, reason: String?
    ) -> PostgresQuery {
        let usedMinor = charged?.usedMinor
        let status = charged == nil ? "failed" : "captured"
        return """
            WITH charged AS (
                UPDATE credit_accounts SET used_minor = \(usedMinor)
                WHERE customer_id = \(customer) AND \(usedMinor)::bigint IS NOT NULL
            )
            INSERT INTO payments (order_id, payment_id, customer_id, amount_minor, status, reason)
            VALUES (\(order), \(payment), \(customer), \(amountMinor), \(status), \(reason))
            """
    }
}
