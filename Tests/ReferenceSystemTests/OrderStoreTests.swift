import Foundation
import Postgres
import Testing

@testable import Orders

/// The orders tables against a scratch database.
@Suite struct OrderStoreTests {
    @Test func oneReadTellsWhetherTheCustomerIsKnownAndWhetherTheOrderExists() async throws {
        try await withMigratedDatabase(OrderStore.migrations) { connection in
            let (customer, order) = (UUID(), UUID())
            var known = try await OrderStore.knowledge(customer: customer, order: order, on: connection)
            #expect(!known.customerKnown && !known.orderExists)
            try await connection.execute(OrderStore.rememberCustomer(customer, registeredAt: Date()))
            known = try await OrderStore.knowledge(customer: customer, order: order, on: connection)
            #expect(known.customerKnown && !known.orderExists)
            let placed = Order(
                id: order, customerID: customer, lines: [OrderLine(sku: "SKU-A", quantity: 1, unitPriceMinor: 100)],
                status: .placed)
            try await connection.execute(try OrderStore.insert(placed, requestedAt: Date()))
            known = try await OrderStore.knowledge(customer: customer, order: order, on: connection)
            #expect(known.customerKnown && known.orderExists)
            known = try await OrderStore.knowledge(customer: UUID(), order: order, on: connection)
            #expect(!known.customerKnown && known.orderExists)
        }
    }

    @Test func onlyAPlacedOrderEndsAndItEndsOnce() async throws {
        try await withMigratedDatabase(OrderStore.migrations) { connection in
            let (customer, confirmed, cancelled) = (UUID(), UUID(), UUID())
            let requestedAt = Date(timeIntervalSince1970: 1_800_000_000)
            for id in [confirmed, cancelled] {
                let order = Order(
                    id: id, customerID: customer, lines: [OrderLine(sku: "SKU-A", quantity: 1, unitPriceMinor: 100)],
                    status: .placed)
                try await connection.execute(try OrderStore.insert(order, requestedAt: requestedAt))
            }
            let payment = UUID()
            let ended = try await OrderStore.confirm(order: confirmed, paymentID: payment, on: connection)
            #expect(ended?.customer == customer && ended?.requestedAt == requestedAt)
            #expect(try await OrderStore.confirm(order: confirmed, paymentID: UUID(), on: connection) == nil)
            #expect(try await OrderStore.cancel(order: confirmed, reason: "insufficient-credit", on: connection) == nil)
            #expect(try await OrderStore.cancel(order: cancelled, reason: "insufficient-stock", on: connection) != nil)
            #expect(try await OrderStore.confirm(order: cancelled, paymentID: UUID(), on: connection) == nil)
            #expect(try await OrderStore.cancel(order: UUID(), reason: "insufficient-stock", on: connection) == nil)
            let rows = try await connection.query(
                "SELECT status, payment_id, cancel_reason FROM orders WHERE order_id = ANY(\([confirmed, cancelled])) ORDER BY status"
            )
            #expect(try rows.map { try $0.decode(String.self, column: 0) } == ["cancelled", "confirmed"])
            #expect(try rows.last?.decode(UUID?.self, column: 1) == payment)
            #expect(try rows.first?.decode(String?.self, column: 2) == "insufficient-stock")
        }
    }
}
