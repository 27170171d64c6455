import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Kafka
import Operations
import Orders
import Postgres
import ServiceLifecycle
import Services
import Testing
import Topics

/// The Orders service's domain counters count committed effects: a batch rolled back and
/// redone with a savepoint per event (a neighbour's write failed) records each order once.
@Suite struct OrderMetricsTests {
    @Test func aRedoneBatchCountsEachCancelledOrderOnce() async throws {
        OperationsMetrics.bootstrap()
        let root = projectRoot()
        let catalog = try TopicCatalog.load(directory: root.appending(path: "topics"))
        let groups = try ConsumerGroupSpec.loadAll(root.appending(path: "consumers"))
        let topics = try catalog.withGroupTopics(of: groups)
        try await withScratchDatabase { database in
            try await withEmbeddedKafka(topics: topics.map { ($0.name, $0.partitions) }) { cluster in
                let environment = ServiceEnvironment(
                    registry: try ContractRegistry(directory: root.appending(path: "contracts")),
                    routes: catalog.outboxRoutes, groups: groups,
                    kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
                let host = try ServiceHost(
                    service: OrdersService.description, environment: environment, database: database, instances: 1)
                let logger = testLogger("orders")
                try await host.prepare(logger: logger)
                let connection = try await PostgresConnection.connect(configuration: database)
                // The last order's insert fails: in the optimistic batch only when the
                // pipeline syncs, after the handlers of the four before it returned.
                let refused = UUID()
                try await connection.execute(
                    """
                    CREATE FUNCTION refuse_marked_order() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF NEW.order_id = '\(unsafeSQL: refused.uuidString.lowercased())' THEN
                            RAISE EXCEPTION 'refused by the test';
                        END IF;
                        RETURN NEW;
                    END $$
                    """)
                try await connection.execute(
                    """
                    CREATE TRIGGER refuse_marked_order BEFORE INSERT ON orders
                        FOR EACH ROW EXECUTE FUNCTION refuse_marked_order()
                    """)
                // Five orders of a customer Orders never saw registered: each is cancelled
                // at once (unknown-customer), all on one partition so they share a batch.
                let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(cluster))
                for id in (0..<4).map({ _ in UUID() }) + [refused] {
                    let order = id.uuidString.lowercased()
                    let data = """
                        {"orderId":"\(order)","customerId":"\(UUID().uuidString.lowercased())",
                         "items":[{"sku":"SKU-RED-42","quantity":1,"unitPrice":19.99}]}
                        """
                    let envelope = EventEnvelope(type: OrdersService.placeV1, source: "/tests", subject: order)
                    _ = try await producer.send(
                        KafkaProducerMessage(
                            topic: "orders.commands", partition: 0, key: Array(order.utf8), value: Array(data.utf8),
                            headers: envelope.kafkaHeaders()))
                }
                await producer.shutdown()
                let before = Self.cancelled()

                let hosted = try host.makeServices(logger: logger)
                let group = ServiceGroup(
                    configuration: .init(services: hosted.ordered, gracefulShutdownSignals: [], logger: logger))
                let running = Task { try await group.run() }
                try await waitUntil(timeout: .seconds(30)) {
                    try await connection.query("SELECT 1 FROM orders").count == 4
                        && hosted.consumers.contains { $0.metrics.batchRedos > 0 }
                }
                await group.triggerGracefulShutdown()
                try await running.value
                await connection.close()

                #expect(hosted.consumers.map(\.metrics.batchRedos).reduce(0, +) >= 1)
                #expect(Self.cancelled() - before == 4)
            }
        }
    }

    /// `choreo_orders_cancelled_total{reason="unknown-customer"}` in the exposition.
    static func cancelled() -> Double {
        let text = String(decoding: OperationsMetrics.exposition(), as: UTF8.self)
        let prefix = #"choreo_orders_cancelled_total{reason="unknown-customer"} "#
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { Double($0.dropFirst(prefix.count)) } ?? 0
    }
}
