import Foundation
import Postgres

/// The Inventory service's tables: stock per SKU and one reservation record per order.
enum InventoryStore {
    static let migrations: [Migration] = [
        Migration(
            id: "inventory-001",
            sql: """
                CREATE TABLE IF NOT EXISTS stock (
                    sku       text   PRIMARY KEY,
                    initial   bigint NOT NULL CHECK (initial >= 0),
                    available bigint NOT NULL CHECK (available >= 0),
                    reserved  bigint NOT NULL CHECK (reserved >= 0),
                    sold      bigint NOT NULL CHECK (sold >= 0)
                );
                CREATE TABLE IF NOT EXISTS reservations (
                    order_id       uuid        PRIMARY KEY,
                    reservation_id uuid        NOT NULL UNIQUE,
                    customer_id    uuid        NOT NULL,
                    items          jsonb       NOT NULL,
                    status         text        NOT NULL CHECK (status IN ('reserved', 'released', 'sold', 'failed')),
                    reason         text,
                    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
                );
                """)
    ]

    struct Record: Sendable {
        var reservationID: UUID
        var status: String
        var lines: [StockLine]
    }

    /// The levels of `skus`, locked in SKU order until the transaction ends.
    static func lockStock(_ skus: [String], on connection: PostgresConnection) async throws -> [String: StockLevel] {
        let rows = try await connection.query(
            """
            SELECT sku, initial, available, reserved, sold FROM stock
            WHERE sku = ANY(\(skus)) ORDER BY sku FOR UPDATE
            """)
        var levels: [String: StockLevel] = [:]
        for row in rows {
            let level = StockLevel(
                sku: try row.decode(String.self, column: 0), initial: try row.decode(Int.self, column: 1),
                available: try row.decode(Int.self, column: 2), reserved: try row.decode(Int.self, column: 3),
                sold: try row.decode(Int.self, column: 4))
            levels[level.sku] = level
        }
        return levels
    }

    static func update(_ level: StockLevel) -> PostgresQuery {
        """
        UPDATE stock SET available = \(level.available), reserved = \(level.reserved), sold = \(level.sold)
        WHERE sku = \(level.sku)
        """
    }

    /// The order's reservation record, locked until the transaction ends.
    static func lockReservation(order id: UUID, on connection: PostgresConnection) async throws -> Record? {
        let rows = try await connection.query(
            "SELECT reservation_id, status, items::text FROM reservations WHERE order_id = \(id) FOR UPDATE")
        guard let row = rows.first else { return nil }
        let lines = try JSONDecoder().decode(
            [StockLine].self, from: Data(try row.decode(String.self, column: 2).utf8))
        return Record(
            reservationID: try row.decode(UUID.self, column: 0), status: try row.decode(String.self, column: 1),
            lines: lines)
    }

    static func insertReservation(
        order: UUID, reservation: UUID, customer: UUID, lines: [StockLine], status: String, reason: String?
    ) throws -> PostgresQuery {
        let items = PostgresJSON(Array(try JSONEncoder().encode(lines)))
        return """
            INSERT INTO reservations (order_id, reservation_id, customer_id, items, status, reason)
            VALUES (\(order), \(reservation), \(customer), \(items), \(status), \(reason))
            """
    }

    static func setStatus(order: UUID, _ status: String) -> PostgresQuery {
        "UPDATE reservations SET status = \(status), updated_at = clock_timestamp() WHERE order_id = \(order)"
    }

    /// Adds `quantity` units of `sku` (a new SKU starts with them).
    static func addStock(sku: String, quantity: Int) -> PostgresQuery {
        """
        INSERT INTO stock (sku, initial, available, reserved, sold) VALUES (\(sku), \(quantity), \(quantity), 0, 0)
        ON CONFLICT (sku) DO UPDATE SET initial = stock.initial + EXCLUDED.initial,
                                        available = stock.available + EXCLUDED.available
        """
    }
}
