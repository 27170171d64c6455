import ArgumentParser
import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import Outbox
import Postgres
import ServiceLifecycle
import Topics

/// `choreo dev up`: the whole local system on the embedded defaults.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the local development system.",
        subcommands: [DevUpCommand.self]
    )
}

struct DevUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract:
            "Start the embedded broker with every declared topic, the outbox relay and the runnable consumer groups.",
        discussion: """
            Prints the bootstrap servers as the first line and records them in
            .choreo/dev-state.json under the project root, so `choreo publish`, `choreo consume`
            and the other commands in another terminal find the broker by themselves.
            Runs until SIGINT/SIGTERM.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var database: DatabaseOptions

    @Option(help: "Brokers in the embedded cluster.")
    var brokers: Int = 1

    func validate() throws {
        guard (1...9).contains(brokers) else { throw ValidationError("--brokers must be 1…9") }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let logger = Logger(label: "choreo.dev")
        let project = root.projectRoot
        let catalog = try TopicCatalog.load(directory: project.topics)
        let registry = try ContractRegistry(directory: project.contracts)
        let broker = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        defer { broker.shutdown() }
        for topic in catalog.topics { try broker.createTopic(topic.name, partitions: topic.partitions) }
        FileHandle.standardOutput.write(Data((broker.bootstrapServers + "\n").utf8))
        try DevState(bootstrapServers: broker.bootstrapServers, pid: getpid(), startedAt: Date()).write(root: project)
        defer { DevState.remove(root: project, ifOwnedBy: getpid()) }
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)

        var services: [any Service] = []
        let postgres = try database.configuration()
        let connection = try await PostgresConnection.connect(configuration: postgres, logger: logger)
        try await OutboxSchema.standard.install(on: connection)
        await connection.close()
        services.append(
            try OutboxRelay(
                database: postgres,
                configuration: OutboxRelayConfiguration(producer: KafkaProducerConfiguration(client: kafka)),
                logger: Logger(label: "choreo.dev.relay")))
        var running: [String] = []
        for spec in try ConsumerGroupSpec.loadAll(project.consumers) {
            guard (try? ServiceHandlers.make(for: spec)) != nil else { continue }
            let configuration = try await ServiceHandlers.prepareGroup(
                spec, registry: registry, catalog: catalog, database: try database.configuration(service: spec.service),
                kafka: kafka, logger: logger)
            services.append(
                try ConsumerRuntime(configuration: configuration, logger: Logger(label: "choreo.dev.\(spec.group)")))
            running.append(spec.group)
        }
        logger.info(
            "choreo dev up: embedded broker, outbox relay and consumer groups running; Ctrl-C to stop",
            metadata: [
                "bootstrap": "\(broker.bootstrapServers)", "topics": "\(catalog.topics.count)",
                "groups": "\(running.joined(separator: ","))",
            ])
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
