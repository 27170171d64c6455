import ArgumentParser
import Consumers
import DeadLetters
import Foundation
import Kafka
import Logging
import Postgres
import ServiceLifecycle

struct DlqWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Consume every declared group's dead-letter topic into the store and run re-drive policies.",
        discussion: """
            Reads the dead-letter topic of each group in consumers/ (deadLetterTopic, else
            <group>.dlq) as Kafka group choreo-dlq-worker. Each record is stored once (by group +
            original topic/partition/offset); offsets are committed after the store commits.
            Re-drives by consumers/<group>.yaml deadLetters.redrive. Runs until SIGTERM/SIGINT.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var ops: OpsDatabaseOptions
    @Option(help: "The worker's Kafka group id.") var consumerGroup = "choreo-dlq-worker"

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let logger = Logger(label: "choreo.dlq.worker")
        let tracing = try TracingBootstrap.services(service: "dlq-worker", logger: logger)
        let project = try DlqProject.load(root.projectRoot)
        guard !project.specs.isEmpty else {
            throw CLI.failure(2, "no consumer groups declared in \(root.projectRoot.consumers.path)")
        }
        let kafkaConfiguration = try kafka.configuration(root: root.projectRoot)
        let pool = PostgresConnectionPool(configuration: try ops.configuration(), maxConnections: 2, logger: logger)
        let store = DeadLetterStore(pool: pool)
        try await store.install()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: kafkaConfiguration), logger: logger)
        var configuration = DeadLetterWorkerConfiguration(groups: project.specs, kafka: kafkaConfiguration)
        configuration.consumerGroupID = consumerGroup
        let worker = try DeadLetterWorker(
            configuration: configuration,
            store: store,
            replayer: DeadLetterReplayer(
                store: store, destinations: project.destinations, registry: project.registry, producer: producer),
            logger: logger)
        logger.info(
            "dead-letter worker running",
            metadata: ["topics": "\(worker.configuration.deadLetterTopics.joined(separator: ","))"])
        let group = ServiceGroup(
            configuration: .init(
                services: tracing + [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            await producer.shutdown()
            await pool.shutdown()
            throw error
        }
        await producer.shutdown()
        await pool.shutdown()
    }
}
