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
}
