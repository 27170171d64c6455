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

    /// For a placed order, in one round trip: whether it already has a reservation record,
    /// and the levels of `skus`, locked in SKU order until the transaction ends.
    ///
    /// One statement, so the event waits for one read: the Inventory group is one serial
    /// chain over the stock rows (every transaction locks them; docs/benchmarks.md).
    static func lockStockForPlacement(order id: UUID, skus: [String], on connection: PostgresConnection)
        async throws -> (alreadyRecorded: Bool, stock: [String: StockLevel])
    {
        let rows = try await connection.query(
            """
            WITH locked AS (
                SELECT sku, initial, available, reserved, sold FROM stock
                WHERE sku = ANY(\(skus)) ORDER BY sku FOR UPDATE
            )
            SELECT EXISTS (SELECT 1 FROM reservations WHERE order_id = \(id)),
                   locked.sku, locked.initial, locked.available, locked.reserved, locked.sold
            FROM (VALUES (1)) AS one LEFT JOIN locked ON true
            """)
        let recorded = try rows.firstRow(of: "the placement read").decode(Bool.self, column: 0)
        return (recorded, try stockLevels(rows, from: 1))
    }

    /// The order's reservation record and the levels of its SKUs while it is still
    /// `reserved`, all locked until the transaction ends, in one round trip (see
    /// `lockStockForPlacement`). Nil when the order has no record.
    static func lockReservation(order id: UUID, on connection: PostgresConnection) async throws -> (
        record: Record, stock: [String: StockLevel]
    )? {
        let rows = try await connection.query(
            """
            WITH record AS (
                SELECT reservation_id, status, items FROM reservations WHERE order_id = \(id) FOR UPDATE
            ), locked AS (
                SELECT sku, initial, available, reserved, sold FROM stock
                WHERE sku IN (SELECT line->>'sku' FROM record, jsonb_array_elements(record.items) AS line
                              WHERE record.status = 'reserved')
                ORDER BY sku FOR UPDATE
            )
            SELECT record.reservation_id, record.status, record.items::text,
                   locked.sku, locked.initial, locked.available, locked.reserved, locked.sold
            FROM record LEFT JOIN locked ON true
            """)
        guard let first = rows.first else { return nil }
        return (try record(first, from: 0), try stockLevels(rows, from: 3))
    }

    /// The reservation records of `orders` that have one, locked until the transaction ends.
    static func lockRecords(orders: [UUID], on connection: PostgresConnection) async throws -> [UUID: Record] {
        guard !orders.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT order_id, reservation_id, status, items::text FROM reservations
            WHERE order_id = ANY(\(orders)::uuid[]) ORDER BY order_id FOR UPDATE
            """)
        var records: [UUID: Record] = [:]
        for row in rows { records[try row.decode(UUID.self, column: 0)] = try record(row, from: 1) }
        return records
    }

    /// The levels of those of `skus` that exist, locked in SKU order until the transaction ends.
    static func lockStock(skus: [String], on connection: PostgresConnection) async throws -> [String: StockLevel] {
        let rows = try await connection.query(
            """
            SELECT sku, initial, available, reserved, sold FROM stock
            WHERE sku = ANY(\(skus)::text[]) ORDER BY sku FOR UPDATE
            """)
        return try stockLevels(rows, from: 0)
    }

    /// Sets every level in `levels` (distinct SKUs) in one statement: an event's levels, or
    /// a batch's (`InventoryBatch`).
    static func update(_ levels: [StockLevel]) -> PostgresQuery {
        """
        UPDATE stock SET available = new.available, reserved = new.reserved, sold = new.sold
        FROM unnest(\(levels.map(\.sku))::text[], \(levels.map(\.available))::bigint[],
                    \(levels.map(\.reserved))::bigint[], \(levels.map(\.sold))::bigint[])
             AS new (sku, available, reserved, sold)
        WHERE stock.sku = new.sku
        """
    }

    /// The reservation record in columns `from`…`from + 2` (reservation id, status, items as text).
    private static func record(_ row: PostgresRow, from column: Int) throws -> Record {
        let lines = try JSONDecoder().decode(
            [StockLine].self, from: Data(try row.decode(String.self, column: column + 2).utf8))
        return Record(
            reservationID: try row.decode(UUID.self, column: column),
            status: try row.decode(String.self, column: column + 1), lines: lines)
    }

    /// The stock levels in columns `from`… of `rows`, by SKU (rows without one skipped).
    private static func stockLevels(_ rows: PostgresRows, from column: Int) throws -> [String: StockLevel] {
        var levels: [String: StockLevel] = [:]
        for row in rows {
            if let level = try stockLevel(row, from: column) { levels[level.sku] = level }
        }
        return levels
    }

    /// The stock level in columns `from`…`from + 4`; nil when the outer join found none.
    private static func stockLevel(_ row: PostgresRow, from column: Int) throws -> StockLevel? {
        guard let sku = try row.decode(String?.self, column: column) else { return nil }
        return StockLevel(
            sku: sku, initial: try row.decode(Int.self, column: column + 1),
            available: try row.decode(Int.self, column: column + 2),
            reserved: try row.decode(Int.self, column: column + 3), sold: try row.decode(Int.self, column: column + 4))
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
