import ChoreoTestSupport
import Contracts
import Foundation
import Postgres
import Testing

@testable import Inventory

/// Inventory handles a batch from the rows it read once for the batch (`InventoryBatch`):
/// every event still sees what the events before it in the batch did, and what they did is
/// written back before the batch commits.
@Suite struct InventoryBatchTests {
    private static let placed = EventType(name: "order.placed", version: 2)
    private static let captured = EventType(name: "payment.captured", version: 1)
    private static let failed = EventType(name: "payment.failed", version: 1)
    private static let customer = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    private static let payments = "payments.events"

    private static func placement(_ order: UUID, _ lines: [(String, Int)]) -> String {
        let items = lines.map { #"{"sku":"\#($0.0)","quantity":\#($0.1),"unitPriceMinor":100}"# }
        let total = lines.reduce(0) { $0 + $1.1 * 100 }
        return """
            {"orderId":"\(order.uuidString.lowercased())","customerId":"\(customer)",
             "items":[\(items.joined(separator: ","))],"totalMinor":\(total),"currency":"EUR",
             "shippingAddress":{"line1":"1 Analytical Way","city":"London","postalCode":"N1 9GU","country":"GB"},
             "placedAt":"2026-11-23T10:00:00Z"}
            """
    }

    private static func payment(_ order: UUID, captured: Bool) -> String {
        let id = order.uuidString.lowercased()
        return captured
            ? """
            {"orderId":"\(id)","customerId":"\(customer)","paymentId":"\(UUID().uuidString.lowercased())",
             "amount":2.0,"capturedAt":"2026-11-23T10:00:00Z"}
            """
            : """
            {"orderId":"\(id)","customerId":"\(customer)","amount":2.0,"reason":"insufficient-credit",
             "failedAt":"2026-11-23T10:00:00Z"}
            """
    }

    @Test func eachEventOfABatchSeesTheOnesBeforeItAndTheBatchsLevelsAreWrittenBack() async throws {
        let orders = (0..<5).map { _ in UUID() }
        let late = UUID()
        try await HostedService.with(InventoryService.description) { inventory in
            try await InventoryService.addStock(sku: "SKU-A", quantity: 5, on: inventory.connection)
            try await InventoryService.addStock(sku: "SKU-B", quantity: 3, on: inventory.connection)
            // Waiting when the service starts, on one Kafka key, so they arrive in this order
            // and all in its first batch.
            let placements: [(UUID, [(String, Int)])] = [
                (orders[0], [("SKU-A", 2)]),
                (orders[1], [("SKU-A", 2)]),
                (orders[2], [("SKU-A", 2)]),  // one unit left: insufficient
                (orders[0], [("SKU-A", 2)]),  // the same order again, another event: no effect
                (orders[3], [("SKU-B", 1), ("SKU-NOPE", 1)]),  // unknown SKU: nothing reserved
                (orders[4], [("SKU-B", 2), ("SKU-A", 1)]),
            ]
            try await inventory.publish(
                placements.map {
                    .init(type: Self.placed, data: Self.placement($0.0, $0.1), key: "batch", topic: "orders.events")
                })
        } then: { inventory in
            let first = try await inventory.published(count: 5, on: "inventory.events")
            #expect(first.count == 5)
            let outcomes = Dictionary(
                first.map { ($0.keyString ?? "", $0.header("ce_type") ?? "") }, uniquingKeysWith: { "\($0) and \($1)" })
            let expected = [
                "stock.reserved.v1", "stock.reserved.v1", "stock.reservation-failed.v1", "stock.reservation-failed.v1",
                "stock.reserved.v1",
            ]
            #expect(orders.map { outcomes[$0.uuidString.lowercased()] } == expected)
            #expect(try await levels(inventory) == ["SKU-A": [0, 5, 0], "SKU-B": [1, 2, 0]])

            // Payments, in the next batch: it reads their reservations from the database.
            try await inventory.publish([
                .init(
                    type: Self.captured, data: Self.payment(orders[0], captured: true), key: "batch",
                    topic: Self.payments),
                .init(
                    type: Self.failed, data: Self.payment(orders[4], captured: false), key: "batch",
                    topic: Self.payments),
                // A failed reservation has nothing to sell, a stranger nothing to release.
                .init(
                    type: Self.captured, data: Self.payment(orders[2], captured: true), key: "batch",
                    topic: Self.payments),
                .init(
                    type: Self.failed, data: Self.payment(UUID(), captured: false), key: "batch", topic: Self.payments),
                .init(
                    type: Self.failed, data: Self.payment(orders[1], captured: false), key: "batch",
                    topic: Self.payments),
            ])
            let all = try await inventory.published(count: 7, on: "inventory.events")
            #expect(all.count == 7)
            #expect(all.dropFirst(5).allSatisfy { $0.header("ce_type") == "stock.released.v1" })
            #expect(try await levels(inventory) == ["SKU-A": [3, 0, 2], "SKU-B": [3, 0, 0]])

            // The released units are there for the next placement.
            try await inventory.publish([
                .init(
                    type: Self.placed, data: Self.placement(late, [("SKU-A", 3)]), key: "batch", topic: "orders.events")
            ])
            let last = try await inventory.published(count: 8, on: "inventory.events")
            #expect(
                last.first { $0.keyString == late.uuidString.lowercased() }?.header("ce_type") == "stock.reserved.v1")
            #expect(try await levels(inventory) == ["SKU-A": [0, 3, 2], "SKU-B": [3, 0, 0]])

            var statuses: [UUID: String] = [:]
            for row in try await inventory.connection.query("SELECT order_id, status FROM reservations") {
                statuses[try row.decode(UUID.self, column: 0)] = try row.decode(String.self, column: 1)
            }
            #expect(
                statuses == [
                    orders[0]: "sold", orders[1]: "released", orders[2]: "failed", orders[3]: "failed",
                    orders[4]: "released", late: "reserved",
                ])
        }
    }

    /// available, reserved, sold per SKU.
    private func levels(_ inventory: HostedService) async throws -> [String: [Int]] {
        var levels: [String: [Int]] = [:]
        for row in try await inventory.connection.query("SELECT sku, available, reserved, sold FROM stock") {
            levels[try row.decode(String.self, column: 0)] = [
                try row.decode(Int.self, column: 1), try row.decode(Int.self, column: 2),
                try row.decode(Int.self, column: 3),
            ]
        }
        return levels
    }
}

/// `InventoryBatch` on its own: what it holds is locked, what it misses is read (and
/// locked) from the database, and changes reach the database only at the flush.
@Suite struct InventoryBatchStoreTests {
    @Test func missesAreReadAndLockedChangesWaitForTheFlush() async throws {
        try await withMigratedDatabase(InventoryStore.migrations) { connection, database in
            // Committed first (another session), so that the lock check below sees the rows.
            let order = UUID()
            let lines = [StockLine(sku: "SKU-A", quantity: 2)]
            try await PostgresConnection.withConnection(configuration: database) { setup in
                try await setup.execute(InventoryStore.addStock(sku: "SKU-A", quantity: 5))
                try await setup.execute(InventoryStore.addStock(sku: "SKU-B", quantity: 3))
                try await setup.execute(
                    try InventoryStore.insertReservation(
                        order: order, reservation: UUID(), customer: UUID(), lines: lines, status: "reserved",
                        reason: nil))
            }

            // Loaded for no events: everything below is a miss.
            let batch = try await InventoryBatch.load(for: [], on: connection)
            #expect(try await batch.record(of: order, on: connection)?.lines == lines)
            #expect(try await batch.record(of: UUID(), on: connection) == nil)
            let stock = try await batch.stock(of: ["SKU-A", "SKU-NOPE"], on: connection)
            #expect(stock == ["SKU-A": StockLevel(sku: "SKU-A", initial: 5, available: 5)])

            // Held rows are locked: another session cannot take them.
            let locked = try await PostgresConnection.withConnection(configuration: database) { other in
                do {
                    _ = try await other.query("SELECT 1 FROM stock WHERE sku = 'SKU-A' FOR UPDATE NOWAIT")
                    return false
                } catch let error as PostgresError where error.sqlState == .lockNotAvailable {
                    return true
                }
            }
            #expect(locked)

            batch.update([StockLevel(sku: "SKU-A", initial: 5, available: 3, reserved: 2)])
            #expect(try await batch.stock(of: ["SKU-A"], on: connection)["SKU-A"]?.available == 3)
            #expect(try await available("SKU-A", on: connection) == 5)
            try await batch.flush(on: connection)
            try await connection.syncPipeline()
            #expect(try await available("SKU-A", on: connection) == 3)
            #expect(try await available("SKU-B", on: connection) == 3)
        }
    }

    private func available(_ sku: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT available FROM stock WHERE sku = \(sku)").firstRow(of: "stock")
            .decode(Int.self, column: 0)
    }
}
