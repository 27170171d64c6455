import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Inventory
import Kafka
import Logging
import Postgres
import ServiceLifecycle
import Services
import Testing
import Topics

/// A hosted service against a scratch database and the embedded broker with every topic.
@Suite struct InventoryUpcastTests {
    @Test func aV1OrderPlacedStillInTheTopicIsHandledThroughTheUpcaster() async throws {
        let root = projectRoot()
        let catalog = try TopicCatalog.load(directory: root.appending(path: "topics"))
        let topics = try catalog.withGroupTopics(of: try ConsumerGroupSpec.loadAll(root.appending(path: "consumers")))
        try await withScratchDatabase { database in
            try await withEmbeddedKafka(topics: topics.map { ($0.name, $0.partitions) }) { cluster in
                let environment = ServiceEnvironment(
                    registry: try ContractRegistry(directory: root.appending(path: "contracts")),
                    routes: catalog.outboxRoutes,
                    groups: try ConsumerGroupSpec.loadAll(root.appending(path: "consumers")),
                    kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
                let host = try ServiceHost(
                    service: InventoryService.description, environment: environment, database: database, instances: 1)
                let logger = testLogger("inventory")
                try await host.prepare(logger: logger)
                let connection = try await PostgresConnection.connect(configuration: database)
                try await InventoryService.addStock(sku: "SKU-RED-42", quantity: 10, on: connection)

                // An order.placed.v1 (euros, no currency, no address) published before v2 existed.
                let order = "5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10"
                let v1 = """
                    {"orderId":"\(order)","customerId":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                     "items":[{"sku":"SKU-RED-42","quantity":2,"unitPrice":19.99}],"total":39.98,
                     "placedAt":"2026-11-23T10:00:00Z"}
                    """
                let envelope = EventEnvelope(
                    type: EventType(name: "order.placed", version: 1), source: "/services/orders", subject: order)
                let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(cluster))
                _ = try await producer.send(
                    KafkaProducerMessage(
                        topic: "orders.events", partition: nil, key: Array(order.utf8), value: Array(v1.utf8),
                        headers: envelope.kafkaHeaders()))
                await producer.shutdown()

                let hosted = try host.makeServices(logger: logger)
                let group = ServiceGroup(
                    configuration: .init(services: hosted.ordered, gracefulShutdownSignals: [], logger: logger))
                let running = Task { try await group.run() }
                let reader = TopicReader(
                    bootstrapServers: cluster.bootstrapServers, topic: "inventory.events",
                    partitions: catalog.topic(named: "inventory.events")?.partitions ?? 1)
                let published = try await reader.read(count: 1, timeout: .seconds(30))
                await group.triggerGracefulShutdown()
                try await running.value

                #expect(published.first?.header("ce_type") == "stock.reserved.v1")
                let reserved = try JSONValue(parsing: published.first?.value ?? [])
                #expect(reserved["amount"] == .number(.double(39.98)))
                #expect(reserved["orderId"] == .string(order))
                let stock = try await connection.query("SELECT available, reserved FROM stock WHERE sku = 'SKU-RED-42'")
                #expect(try stock.first?.decode(Int.self, column: 0) == 8)
                #expect(try stock.first?.decode(Int.self, column: 1) == 2)
                await connection.close()
            }
        }
    }
}
