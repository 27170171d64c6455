import ChoreoTestSupport
import Foundation
import Postgres
import Testing

@testable import Inventory
@testable import Orders
@testable import Payments

/// The reads each handler makes before it decides, one statement each: what they return in
/// every case the handler tells apart.
@Suite struct HandlerReadTests {
    @Test func placementReadSaysWhetherTheOrderIsRecordedAndLocksOnlyKnownSKUs() async throws {
        try await withMigratedDatabase(InventoryStore.migrations) { connection, _ in
            try await connection.execute(InventoryStore.addStock(sku: "SKU-A", quantity: 5))
            try await connection.execute(InventoryStore.addStock(sku: "SKU-B", quantity: 7))
            let order = UUID()

            let fresh = try await InventoryStore.lockStockForPlacement(
                order: order, skus: ["SKU-A", "SKU-B", "SKU-NOPE"], on: connection)
            #expect(!fresh.alreadyRecorded)
            #expect(fresh.stock.keys.sorted() == ["SKU-A", "SKU-B"])
            #expect(fresh.stock["SKU-B"] == StockLevel(sku: "SKU-B", initial: 7, available: 7, reserved: 0, sold: 0))

            try await connection.execute(
                try InventoryStore.insertReservation(
                    order: order, reservation: UUID(), customer: UUID(), lines: [StockLine(sku: "SKU-A", quantity: 1)],
                    status: "reserved", reason: nil))
            let again = try await InventoryStore.lockStockForPlacement(order: order, skus: ["SKU-A"], on: connection)
            #expect(again.alreadyRecorded)

            // No SKU known: the answer about the order must survive the empty stock side.
            let unknown = try await InventoryStore.lockStockForPlacement(
                order: order, skus: ["SKU-NOPE"], on: connection)
            #expect(unknown.alreadyRecorded)
            #expect(unknown.stock.isEmpty)
            let unknownFresh = try await InventoryStore.lockStockForPlacement(
                order: UUID(), skus: ["SKU-NOPE"], on: connection)
            #expect(!unknownFresh.alreadyRecorded)
        }
    }

    @Test func reservationReadReturnsTheRecordAndItsStockOnlyWhileReserved() async throws {
        try await withMigratedDatabase(InventoryStore.migrations) { connection, _ in
            try await connection.execute(InventoryStore.addStock(sku: "SKU-A", quantity: 5))
            try await connection.execute(InventoryStore.addStock(sku: "SKU-B", quantity: 7))
            try await connection.execute(InventoryStore.addStock(sku: "SKU-C", quantity: 9))
            #expect(try await InventoryStore.lockReservation(order: UUID(), on: connection) == nil)

            let order = UUID()
            let reservation = UUID()
            let lines = [StockLine(sku: "SKU-A", quantity: 2), StockLine(sku: "SKU-C", quantity: 1)]
            try await connection.execute(
                try InventoryStore.insertReservation(
                    order: order, reservation: reservation, customer: UUID(), lines: lines, status: "reserved",
                    reason: nil))
            let reserved = try #require(try await InventoryStore.lockReservation(order: order, on: connection))
            #expect(reserved.record.reservationID == reservation)
            #expect(reserved.record.status == "reserved")
            #expect(reserved.record.lines == lines)
            #expect(reserved.stock.keys.sorted() == ["SKU-A", "SKU-C"])

            try await connection.execute(InventoryStore.setStatus(order: order, "released"))
            let released = try #require(try await InventoryStore.lockReservation(order: order, on: connection))
            #expect(released.record.status == "released")
            #expect(released.record.lines == lines)
            #expect(released.stock.isEmpty)
        }
    }

    @Test func chargeReadSaysWhetherTheOrderIsChargedAndLocksTheAccount() async throws {
        try await withMigratedDatabase(PaymentStore.migrations) { connection, _ in
            let customer = UUID()
            let order = UUID()
            let stranger = try await PaymentStore.lockAccountForCharge(order: order, customer: customer, on: connection)
            #expect(!stranger.alreadyCharged)
            #expect(stranger.account == nil)

            try await connection.execute(
                PaymentStore.openAccount(CreditAccount(customerID: customer, limitMinor: 50_000, usedMinor: 0)))
            let open = try await PaymentStore.lockAccountForCharge(order: order, customer: customer, on: connection)
            #expect(!open.alreadyCharged)
            #expect(open.account == CreditAccount(customerID: customer, limitMinor: 50_000, usedMinor: 0))

            try await connection.execute(
                PaymentStore.insertPayment(
                    order: order, payment: UUID(), customer: customer, amountMinor: 1_000, status: "captured",
                    reason: nil))
            #expect(
                try await PaymentStore.lockAccountForCharge(order: order, customer: customer, on: connection)
                    .alreadyCharged)
        }
    }

    @Test func placementFactsTellKnownCustomersAndExistingOrdersApart() async throws {
        try await withMigratedDatabase(OrderStore.migrations) { connection, _ in
            let customer = UUID()
            let order = UUID()
            var facts = try await OrderStore.placementFacts(customer: customer, order: order, on: connection)
            #expect(!facts.customerKnown && !facts.orderExists)

            try await connection.execute(OrderStore.rememberCustomer(customer, registeredAt: Date()))
            facts = try await OrderStore.placementFacts(customer: customer, order: order, on: connection)
            #expect(facts.customerKnown && !facts.orderExists)

            let placed = Order(
                id: order, customerID: customer, lines: [OrderLine(sku: "SKU-A", quantity: 1, unitPriceMinor: 100)],
                status: .placed, cancelReason: nil)
            try await connection.execute(try OrderStore.insert(placed, requestedAt: Date()))
            facts = try await OrderStore.placementFacts(customer: customer, order: order, on: connection)
            #expect(facts.customerKnown && facts.orderExists)
        }
    }
}
