import ChoreoTestSupport
import Contracts
import Inventory
import Testing

/// A hosted service against a scratch database and the embedded broker with every topic.
@Suite struct InventoryUpcastTests {
    @Test func aV1OrderPlacedStillInTheTopicIsHandledThroughTheUpcaster() async throws {
        let order = "5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10"
        try await HostedService.with(InventoryService.description) { inventory in
            try await InventoryService.addStock(sku: "SKU-RED-42", quantity: 10, on: inventory.connection)
            // An order.placed.v1 (euros, no currency, no address) published before v2 existed.
            let v1 = """
                {"orderId":"\(order)","customerId":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                 "items":[{"sku":"SKU-RED-42","quantity":2,"unitPrice":19.99}],"total":39.98,
                 "placedAt":"2026-11-23T10:00:00Z"}
                """
            try await inventory.publish([
                .init(type: EventType(name: "order.placed", version: 1), data: v1, key: order, topic: "orders.events")
            ])
        } then: { inventory in
            let published = try await inventory.published(count: 1, on: "inventory.events")

            #expect(published.first?.header("ce_type") == "stock.reserved.v1")
            let reserved = try JSONValue(parsing: published.first?.value ?? [])
            #expect(reserved["amount"] == .number(.double(39.98)))
            #expect(reserved["orderId"] == .string(order))
            let stock = try await inventory.connection.query(
                "SELECT available, reserved FROM stock WHERE sku = 'SKU-RED-42'")
            #expect(try stock.first?.decode(Int.self, column: 0) == 8)
            #expect(try stock.first?.decode(Int.self, column: 1) == 2)
        }
    }
}
