import Foundation
import Postgres

/// The Orders service's tables: its orders and its own view of registered customers.
enum OrderStore {
    static let migrations: [Migration] = [
        Migration(
            id: "orders-001",
            sql: """
                CREATE TABLE IF NOT EXISTS known_customers (
                    customer_id   uuid        PRIMARY KEY,
                    registered_at timestamptz NOT NULL
                );
                CREATE TABLE IF NOT EXISTS orders (
                    order_id      uuid        PRIMARY KEY,
                    customer_id   uuid        NOT NULL,
                    status        text        NOT NULL CHECK (status IN ('placed', 'confirmed', 'cancelled')),
                    items         jsonb       NOT NULL,
                    total_minor   bigint      NOT NULL,
                    cancel_reason text,
                    payment_id    uuid,
                    requested_at  timestamptz NOT NULL,
                    accepted      boolean     NOT NULL,
                    completed_at  timestamptz
                );
                CREATE INDEX IF NOT EXISTS orders_open ON orders (requested_at) WHERE status = 'placed';
                """)
    ]

    static func rememberCustomer(_ id: UUID, registeredAt: Date) -> PostgresQuery {
        """
        INSERT INTO known_customers (customer_id, registered_at) VALUES (\(id), \(registeredAt))
        ON CONFLICT (customer_id) DO NOTHING
        """
    }

    /// For an `order.place` command, in one round trip: whether the customer is known and
    /// whether the order already exists (one statement, so the event waits for one read).
    static func placementFacts(customer: UUID, order: UUID, on connection: PostgresConnection) async throws -> (
        customerKnown: Bool, orderExists: Bool
    ) {
        let rows = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM known_customers WHERE customer_id = \(customer)),
                   EXISTS (SELECT 1 FROM orders WHERE order_id = \(order))
            """)
        let row = try rows.firstRow(of: "the placement facts query")
        return (try row.decode(Bool.self, column: 0), try row.decode(Bool.self, column: 1))
    }

    /// The order's status, customer and the time its `order.place` command was sent, locked
    /// until the transaction ends.
    static func lock(order id: UUID, on connection: PostgresConnection) async throws -> (OrderStatus, UUID, Date)? {
        let rows = try await connection.query(
            "SELECT status, customer_id, requested_at FROM orders WHERE order_id = \(id) FOR UPDATE")
        guard let row = rows.first, let status = OrderStatus(rawValue: try row.decode(String.self, column: 0)) else {
            return nil
        }
        return (status, try row.decode(UUID.self, column: 1), try row.decode(Date.self, column: 2))
    }

    /// A new order; `accepted` is false for one rejected at once (cancelled, never placed).
    static func insert(_ order: Order, requestedAt: Date) throws -> PostgresQuery {
        let items = PostgresJSON(Array(try JSONEncoder().encode(order.lines)))
        let accepted = order.status == .placed
        let completedAt: Date? = accepted ? nil : Date()
        return """
            INSERT INTO orders (order_id, customer_id, status, items, total_minor, cancel_reason, requested_at, accepted, completed_at)
            VALUES (\(order.id), \(order.customerID), \(order.status.rawValue), \(items), \(order.totalMinor),
                    \(order.cancelReason), \(requestedAt), \(accepted), \(completedAt))
            """
    }

    // Confirm and cancel update by primary key alone: the caller holds the row's lock (`lock`)
    // and moved it only from `placed` (`OrderLifecycle`). A `status = 'placed'` condition here
    // would let the plan cached while the table was empty scan the partial index `orders_open`,
    // that is every open order, on each update: under load that grew with the backlog (0.9 ms
    // an update, 30 % of the server's time; docs/benchmarks.md).
    static func confirm(order id: UUID, paymentID: UUID) -> PostgresQuery {
        """
        UPDATE orders SET status = 'confirmed', payment_id = \(paymentID), completed_at = clock_timestamp()
        WHERE order_id = \(id)
        """
    }

    static func cancel(order id: UUID, reason: String) -> PostgresQuery {
        """
        UPDATE orders SET status = 'cancelled', cancel_reason = \(reason), completed_at = clock_timestamp()
        WHERE order_id = \(id)
        """
    }
}
