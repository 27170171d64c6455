import Foundation
import Postgres

/// What Inventory's database says, for operators: read only.
public enum StockFacts {
    /// One SKU's levels and what its reservation records add up to.
    public struct SKU: Sendable {
        public var level: StockLevel
        /// Units in reservations still `reserved`.
        public var heldByReservations: Int
        /// Units in reservations `sold`.
        public var soldByReservations: Int
    }

    public static func skus(on connection: PostgresConnection) async throws -> [SKU] {
        let rows = try await connection.query(
            """
            WITH lines AS (
                SELECT r.status, l.sku, l.quantity
                FROM reservations r, jsonb_to_recordset(r.items) AS l(sku text, quantity bigint)
            )
            SELECT s.sku, s.initial, s.available, s.reserved, s.sold,
                   coalesce((SELECT sum(quantity) FROM lines WHERE lines.sku = s.sku AND status = 'reserved'), 0),
                   coalesce((SELECT sum(quantity) FROM lines WHERE lines.sku = s.sku AND status = 'sold'), 0)
            FROM stock s ORDER BY s.sku
            """)
        return try rows.map {
            SKU(
                level: StockLevel(
                    sku: try $0.decode(String.self, column: 0), initial: try $0.decode(Int.self, column: 1),
                    available: try $0.decode(Int.self, column: 2), reserved: try $0.decode(Int.self, column: 3),
                    sold: try $0.decode(Int.self, column: 4)),
                heldByReservations: try $0.decode(Int.self, column: 5),
                soldByReservations: try $0.decode(Int.self, column: 6))
        }
    }
}
