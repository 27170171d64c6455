import ArgumentParser
import Consumers
import DeadLetters
import Foundation
import Kafka
import Logging
import Operations
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
            Re-drives by consumers/<group>.yaml deadLetters.redrive. Keeps the
            choreo_dead_letters gauge (records by status and reason) from the store. With
            --ops-port (or CHOREO_OPS_PORT) it serves /metrics and /health/ready (ready: the
            operations database answers and the worker has joined its group). Runs until
            SIGTERM/SIGINT.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var ops: OpsDatabaseOptions
    @OptionGroup var operations: OperationsOptions
    @OptionGroup var logging: LogOptions
    @Option(help: "The worker's Kafka group id.") var consumerGroup = "choreo-dlq-worker"

    func run() async throws {
        try logging.bootstrap()
        operations.bootstrapMetrics()
        let logger = Logger(label: "choreo.dlq.worker")
        let tracing = try TracingBootstrap.services(service: "dlq-worker", logger: logger)
        let project = try DlqProject.load(root.projectRoot)
        guard !project.specs.isEmpty else {
            throw CLI.failure(2, "no consumer groups declared in \(root.projectRoot.consumers.path)")
        }
        let kafkaConfiguration = try kafka.configuration(root: root.projectRoot)
        let database = try ops.configuration()
        let pool = PostgresConnectionPool(configuration: database, maxConnections: 2, logger: logger)
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
        let endpoint = try operations.services(
            checks: [.databases([database]), .deadLetterWorker(worker)], logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: tracing + endpoint + [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint],
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
