import Foundation
import Postgres

/// The Customers service's tables.
enum CustomerStore {
    static let migrations: [Migration] = [
        Migration(
            id: "customers-001",
            sql: """
                CREATE TABLE IF NOT EXISTS customers (
                    customer_id        uuid        PRIMARY KEY,
                    name               text        NOT NULL,
                    email              text        NOT NULL,
                    credit_limit_minor bigint      NOT NULL CHECK (credit_limit_minor >= 0),
                    registered_at      timestamptz NOT NULL
                );
                """)
    ]

    static func find(_ id: UUID, on connection: PostgresConnection) async throws -> Customer? {
        let rows = try await connection.query(
            "SELECT name, email, credit_limit_minor, registered_at FROM customers WHERE customer_id = \(id)")
        guard let row = rows.first else { return nil }
        return Customer(
            id: id, name: try row.decode(String.self, column: 0), email: try row.decode(String.self, column: 1),
            creditLimitMinor: try row.decode(Int64.self, column: 2), registeredAt: try row.decode(Date.self, column: 3))
    }

    static func insert(_ customer: Customer) -> PostgresQuery {
        """
        INSERT INTO customers (customer_id, name, email, credit_limit_minor, registered_at)
        VALUES (\(customer.id), \(customer.name), \(customer.email), \(customer.creditLimitMinor), \(customer.registeredAt))
        """
    }
}
