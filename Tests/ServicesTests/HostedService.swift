import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import Postgres
import ServiceLifecycle
import Services
import Topics

/// A service hosted against a scratch database and the embedded broker with every topic of
/// the reference system.
struct HostedService {
    let cluster: EmbeddedKafkaCluster
    let catalog: TopicCatalog
    /// A connection to the service's database (prepared and migrated).
    let connection: PostgresConnection
    /// The running consumers and relays (`nil` while `prepare` runs).
    var services: HostedServices?

    /// Prepares the service (migrations), runs `prepare` (seed stock, publish what the
    /// service should find waiting), then runs the service for the duration of `body`.
    static func with(
        _ service: ServiceDescription, prepare: (HostedService) async throws -> Void,
        then body: (HostedService) async throws -> Void
    ) async throws {
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
                    service: service, environment: environment, database: database, instances: 1)
                let logger = testLogger(service.name)
                try await host.prepare(logger: logger)
                let connection = try await PostgresConnection.connect(configuration: database)
                var hostedService = HostedService(cluster: cluster, catalog: catalog, connection: connection)
                do {
                    try await prepare(hostedService)
                    let hosted = try host.makeServices(logger: logger)
                    let group = ServiceGroup(
                        configuration: .init(services: hosted.ordered, gracefulShutdownSignals: [], logger: logger))
                    let running = Task { try await group.run() }
                    hostedService.services = hosted
                    do {
                        try await body(hostedService)
                    } catch {
                        await group.triggerGracefulShutdown()
                        _ = try? await running.value
                        throw error
                    }
                    await group.triggerGracefulShutdown()
                    try await running.value
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
            }
        }
    }

    /// An event to publish: its type, data (JSON), Kafka key and topic.
    struct Outgoing {
        var type: EventType
        var data: String
        var key: String
        var topic: String
    }

    /// Publishes `events` in order.
    func publish(_ events: [Outgoing]) async throws {
        let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(cluster))
        let messages = events.map { event in
            KafkaProducerMessage(
                topic: event.topic, partition: nil, key: Array(event.key.utf8), value: Array(event.data.utf8),
                headers: EventEnvelope(type: event.type, source: "/tests/services", subject: event.key).kafkaHeaders())
        }
        for result in await producer.sendBatch(messages) { _ = try result.get() }
        await producer.shutdown()
    }

    /// Reads `count` events published to `topic` (30 s at most).
    func published(count: Int, on topic: String) async throws -> [KafkaConsumerMessage] {
        let reader = TopicReader(
            bootstrapServers: cluster.bootstrapServers, topic: topic,
            partitions: catalog.topic(named: topic)?.partitions ?? 1)
        return try await reader.read(count: count, timeout: .seconds(30))
    }
}
