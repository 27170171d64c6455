import ChoreoTestSupport
import Contracts
import Foundation
import Operations
import Orders
import Postgres
import Testing

/// The Orders service's domain counters count committed effects: a batch rolled back and
/// redone with a savepoint per event (a neighbour's write failed) records each order once.
@Suite struct OrderMetricsTests {
    @Test func aRedoneBatchCountsEachCancelledOrderOnce() async throws {
        OperationsMetrics.bootstrap()
        // The last order's insert fails: in the optimistic batch only when the pipeline
        // syncs, after the handlers of the four before it returned.
        let refused = UUID()
        let before = Self.cancelled()
        try await HostedService.with(OrdersService.description) { orders in
            try await orders.connection.execute(
                """
                CREATE FUNCTION refuse_marked_order() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.order_id = '\(unsafeSQL: refused.uuidString.lowercased())' THEN
                        RAISE EXCEPTION 'refused by the test';
                    END IF;
                    RETURN NEW;
                END $$
                """)
            try await orders.connection.execute(
                """
                CREATE TRIGGER refuse_marked_order BEFORE INSERT ON orders
                    FOR EACH ROW EXECUTE FUNCTION refuse_marked_order()
                """)
            // Five orders of a customer Orders never saw registered: each is cancelled at once
            // (unknown-customer), all on one partition (one key) so they share a batch.
            try await orders.publish(
                ((0..<4).map { _ in UUID() } + [refused]).map { id in
                    let order = id.uuidString.lowercased()
                    let data = """
                        {"orderId":"\(order)","customerId":"\(UUID().uuidString.lowercased())",
                         "items":[{"sku":"SKU-RED-42","quantity":1,"unitPrice":19.99}]}
                        """
                    return .init(type: OrdersService.placeV1, data: data, key: "one-batch", topic: "orders.commands")
                })
        } then: { orders in
            let consumers = orders.services?.consumers ?? []
            try await waitUntil(timeout: .seconds(30)) {
                try await orders.connection.query("SELECT 1 FROM orders").count == 4
                    && consumers.contains { $0.metrics.batchRedos > 0 }
            }
            #expect(consumers.map(\.metrics.batchRedos).reduce(0, +) >= 1)
        }
        #expect(Self.cancelled() - before == 4)
    }

    /// `choreo_orders_cancelled_total{reason="unknown-customer"}` in the exposition.
    static func cancelled() -> Double {
        let text = String(decoding: OperationsMetrics.exposition(), as: UTF8.self)
        let prefix = #"choreo_orders_cancelled_total{reason="unknown-customer"} "#
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { Double($0.dropFirst(prefix.count)) } ?? 0
    }
}
