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

    /// For an order's charge, in one round trip: whether the order already has a payment, and
    /// the customer's credit account (nil when Payments has not heard of the customer), locked
    /// until the transaction ends. One statement, so the event waits for one read.
    static func lockAccountForCharge(order: UUID, customer: UUID, on connection: PostgresConnection) async throws
        -> (alreadyCharged: Bool, account: CreditAccount?)
    {
        let rows = try await connection.query(
            """
            WITH account AS (
                SELECT credit_limit_minor, used_minor FROM credit_accounts WHERE customer_id = \(customer) FOR UPDATE
            )
            SELECT EXISTS (SELECT 1 FROM payments WHERE order_id = \(order)),
                   account.credit_limit_minor, account.used_minor
            FROM (VALUES (1)) AS one LEFT JOIN account ON true
            """)
        let row = try rows.firstRow(of: "the charge read")
        let charged = try row.decode(Bool.self, column: 0)
        guard let limit = try row.decode(Int64?.self, column: 1) else { return (charged, nil) }
        return (
            charged,
            CreditAccount(customerID: customer, limitMinor: limit, usedMinor: try row.decode(Int64.self, column: 2))
        )
    }

    static func updateAccount(_ account: CreditAccount) -> PostgresQuery {
        "UPDATE credit_accounts SET used_minor = \(account.usedMinor) WHERE customer_id = \(account.customerID)"
    }

    static func insertPayment(
        order: UUID, payment: UUID, customer: UUID, amountMinor: Int64, status: String, reason: String?
    ) -> PostgresQuery {
        """
        INSERT INTO payments (order_id, payment_id, customer_id, amount_minor, status, reason)
        VALUES (\(order), \(payment), \(customer), \(amountMinor), \(status), \(reason))
        """
    }
}
