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
        var lines: [StockLine]
    }

    /// A reservation record to insert: the order's one decision, reserved or failed.
    struct NewRecord: Sendable {
        var order: UUID
        var reservation: UUID
        var customer: UUID
        var lines: [StockLine]
        var status: String
        var reason: String?
    }

    /// For reserving `order`: the levels of `skus`, locked in SKU order until the
    /// transaction ends, and whether the order has a reservation record already — one round
    /// trip. The locked rows are materialized first; the outer join returns one row even
    /// when no SKU is known.
    static func lockStock(
        _ skus: [String], reserving order: UUID, on connection: PostgresConnection
    ) async throws -> (stock: [String: StockLevel], recorded: Bool) {
        let rows = try await connection.query(
            """
            WITH locked AS MATERIALIZED (
                SELECT sku, initial, available, reserved, sold FROM stock
                WHERE sku = ANY(\(skus)) ORDER BY sku FOR UPDATE
            )
            SELECT l.sku, l.initial, l.available, l.reserved, l.sold,
                   EXISTS (SELECT 1 FROM reservations WHERE order_id = \(order))
            FROM (VALUES (1)) AS one LEFT JOIN locked l ON true
            """)
        return (try levels(rows), try rows.first?.decode(Bool.self, column: 5) ?? false)
    }

    /// The levels in `rows` (columns sku, initial, available, reserved, sold first); a row
    /// whose SKU is NULL (an outer join's empty side) is skipped.
    private static func levels(_ rows: PostgresRows) throws -> [String: StockLevel] {
        var levels: [String: StockLevel] = [:]
        for row in rows {
            guard let sku = try row.decode(String?.self, column: 0) else { continue }
            levels[sku] = StockLevel(
                sku: sku, initial: try row.decode(Int.self, column: 1), available: try row.decode(Int.self, column: 2),
                reserved: try row.decode(Int.self, column: 3), sold: try row.decode(Int.self, column: 4))
        }
        return levels
    }

    /// The new levels of the SKUs in `levels` and, when reserving, the order's new
    /// reservation record (`recording`): one statement however many SKUs there are.
    static func update(_ levels: [StockLevel], recording record: NewRecord? = nil) throws -> PostgresQuery {
        let items = try record.map { PostgresJSON(Array(try JSONEncoder().encode($0.lines))) }
        return """
            WITH recorded AS (
                INSERT INTO reservations (order_id, reservation_id, customer_id, items, status, reason)
                SELECT \(record?.order)::uuid, \(record?.reservation), \(record?.customer), \(items)::jsonb,
                       \(record?.status), \(record?.reason)
                WHERE \(record?.order)::uuid IS NOT NULL
            )
            UPDATE stock SET available = u.available, reserved = u.reserved, sold = u.sold
            FROM unnest(\(levels.map(\.sku))::text[], \(levels.map(\.available))::bigint[],
                        \(levels.map(\.reserved))::bigint[], \(levels.map(\.sold))::bigint[])
                 AS u(sku, available, reserved, sold)
            WHERE stock.sku = u.sku
            """
    }

    /// Ends the order's reservation with `status` if it is still reserved, and locks the
    /// stock of its SKUs (in SKU order) until the transaction ends — one round trip: the
    /// record as it was and the levels of its SKUs, or nil (nothing changed, nothing locked)
    /// when the order holds no reservation: never reserved, or already released or sold.
    static func resolve(
        order id: UUID, as status: String, on connection: PostgresConnection
    ) async throws -> (record: Record, stock: [String: StockLevel])? {
        let rows = try await connection.query(
            """
            WITH resolved AS (
                UPDATE reservations SET status = \(status), updated_at = clock_timestamp()
                WHERE order_id = \(id) AND status = 'reserved'
                RETURNING reservation_id, items
            )
            SELECT s.sku, s.initial, s.available, s.reserved, s.sold, r.reservation_id, r.items::text
            FROM resolved r LEFT JOIN LATERAL (
                SELECT sku, initial, available, reserved, sold FROM stock
                WHERE sku = ANY (ARRAY(SELECT line->>'sku' FROM jsonb_array_elements(r.items) AS line))
                ORDER BY sku FOR UPDATE
            ) s ON true
            """)
        guard let row = rows.first else { return nil }
        let lines = try JSONDecoder().decode(
            [StockLine].self, from: Data(try row.decode(String.self, column: 6).utf8))
        return (Record(reservationID: try row.decode(UUID.self, column: 5), lines: lines), try levels(rows))
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
