import Foundation
import Postgres
import Testing

@testable import Inventory

/// The inventory tables against a scratch database.
@Suite struct InventoryStoreTests {
    @Test func theReservingReadLocksKnownSkusAndSeesAnEarlierReservation() async throws {
        try await withMigratedDatabase(InventoryStore.migrations) { connection in
            try await InventoryService.addStock(sku: "SKU-A", quantity: 5, on: connection)
            try await InventoryService.addStock(sku: "SKU-B", quantity: 7, on: connection)
            let order = UUID()
            var read = try await InventoryStore.lockStock(
                ["SKU-A", "SKU-B", "SKU-X"], reserving: order, on: connection)
            #expect(read.stock.keys.sorted() == ["SKU-A", "SKU-B"] && read.stock["SKU-B"]?.available == 7)
            #expect(!read.recorded)
            read = try await InventoryStore.lockStock(["SKU-X"], reserving: order, on: connection)
            #expect(read.stock.isEmpty && !read.recorded)
            try await connection.execute(
                try InventoryStore.update(
                    [],
                    recording: .init(
                        order: order, reservation: UUID(), customer: UUID(), lines: [], status: "failed",
                        reason: "unknown-sku")))
            read = try await InventoryStore.lockStock(["SKU-X"], reserving: order, on: connection)
            #expect(read.stock.isEmpty && read.recorded)
            read = try await InventoryStore.lockStock(["SKU-A"], reserving: order, on: connection)
            #expect(read.stock.count == 1 && read.recorded)
        }
    }

    @Test func oneStatementSetsEveryLevelAndRecordsTheReservationWhichIsResolvedOnce() async throws {
        try await withMigratedDatabase(InventoryStore.migrations) { connection in
            for (sku, quantity) in [("SKU-A", 5), ("SKU-B", 7), ("SKU-C", 9)] {
                try await InventoryService.addStock(sku: sku, quantity: quantity, on: connection)
            }
            let (order, reservation) = (UUID(), UUID())
            let lines = [StockLine(sku: "SKU-A", quantity: 2), StockLine(sku: "SKU-B", quantity: 3)]
            let (stock, _) = try await InventoryStore.lockStock(["SKU-A", "SKU-B"], reserving: order, on: connection)
            guard case .reserved(let levels) = Reservation.reserve(lines, stock: stock) else {
                Issue.record("both lines fit")
                return
            }
            let record = InventoryStore.NewRecord(
                order: order, reservation: reservation, customer: UUID(), lines: lines, status: "reserved", reason: nil)
            #expect(try await connection.execute(InventoryStore.update(levels, recording: record)) == 2)
            let (reserved, recorded) = try await InventoryStore.lockStock(
                ["SKU-A", "SKU-B", "SKU-C"], reserving: order, on: connection)
            #expect(recorded)
            #expect(reserved.values.sorted { $0.sku < $1.sku }.map(\.reserved) == [2, 3, 0])
            #expect(reserved.values.sorted { $0.sku < $1.sku }.map(\.available) == [3, 4, 9])

            let resolved = try await InventoryStore.resolve(order: order, as: "sold", on: connection)
            #expect(resolved?.record.reservationID == reservation && resolved?.record.lines == lines)
            #expect(resolved?.stock.keys.sorted() == ["SKU-A", "SKU-B"] && resolved?.stock["SKU-B"]?.reserved == 3)
            #expect(try await InventoryStore.resolve(order: order, as: "released", on: connection) == nil)
            #expect(try await InventoryStore.resolve(order: UUID(), as: "sold", on: connection) == nil)
            let status = try await connection.query("SELECT status FROM reservations WHERE order_id = \(order)")
            #expect(try status.first?.decode(String.self, column: 0) == "sold")
            #expect(try await connection.execute(InventoryStore.update([])) == 0)
            let records = try await connection.query("SELECT count(*) FROM reservations")
            #expect(try records.first?.decode(Int.self, column: 0) == 1)
        }
    }
}
