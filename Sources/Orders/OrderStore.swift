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

    /// Whether Orders has seen `customer` registered and whether `order` exists: one round trip.
    static func knowledge(customer: UUID, order: UUID, on connection: PostgresConnection) async throws -> (
        customerKnown: Bool, orderExists: Bool
    ) {
        let rows = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM known_customers WHERE customer_id = \(customer)),
                   EXISTS (SELECT 1 FROM orders WHERE order_id = \(order))
            """)
        guard let row = rows.first else { return (false, false) }
        return (try row.decode(Bool.self, column: 0), try row.decode(Bool.self, column: 1))
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

    // Confirm and cancel move only a placed order (`OrderLifecycle`), in the one statement
    // that reads and changes it (the row is locked by the update). The status they require is
    // a bound parameter, not the literal 'placed': a literal would let the plan cached while
    // the table was empty scan the partial index `orders_open`, that is every open order, on
    // each update — under load that grew with the backlog (0.9 ms an update, 30 % of the
    // server's time; docs/benchmarks.md). With a parameter the plan is the primary key.

    /// Confirms the order if it is placed: its customer and the time its `order.place`
    /// command was sent, or nil (nothing changed) when it is not placed or does not exist.
    static func confirm(order id: UUID, paymentID: UUID, on connection: PostgresConnection) async throws -> Ended? {
        try ended(
            await connection.query(
                """
                UPDATE orders SET status = 'confirmed', payment_id = \(paymentID), completed_at = clock_timestamp()
                WHERE order_id = \(id) AND status = \(OrderStatus.placed.rawValue)
                RETURNING customer_id, requested_at
                """))
    }

    /// Cancels the order if it is placed; as `confirm`.
    static func cancel(order id: UUID, reason: String, on connection: PostgresConnection) async throws -> Ended? {
        try ended(
            await connection.query(
                """
                UPDATE orders SET status = 'cancelled', cancel_reason = \(reason), completed_at = clock_timestamp()
                WHERE order_id = \(id) AND status = \(OrderStatus.placed.rawValue)
                RETURNING customer_id, requested_at
                """))
    }

    /// An order that has just ended: its customer and the time its command was sent.
    struct Ended: Sendable {
        var customer: UUID
        var requestedAt: Date
    }

    private static func ended(_ rows: PostgresRows) throws -> Ended? {
        guard let row = rows.first else { return nil }
        return Ended(customer: try row.decode(UUID.self, column: 0), requestedAt: try row.decode(Date.self, column: 1))
    }
}
