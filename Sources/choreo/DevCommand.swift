import ArgumentParser
import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import Outbox
import Postgres
import ServiceLifecycle
import Services
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
        let broker = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        defer { broker.shutdown() }
        for topic in catalog.topics { try broker.createTopic(topic.name, partitions: topic.partitions) }
        FileHandle.standardOutput.write(Data((broker.bootstrapServers + "\n").utf8))
        try DevState(bootstrapServers: broker.bootstrapServers, pid: getpid(), startedAt: Date()).write(root: project)
        defer { DevState.remove(root: project, ifOwnedBy: getpid()) }
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)

        let environment = try ServiceHandlers.environment(root: project, kafka: kafka)
        var relays: [any Service] = []
        var consumers: [any Service] = []
        var running: [String] = []
        for service in try ServiceHandlers.catalog().services {
            let host = try ServiceHost(
                service: service, environment: environment,
                database: try ServiceDatabase.configuration(service: service.name))
            try await host.prepare(logger: logger)
            let hosted = try host.makeServices(logger: Logger(label: "choreo.dev.\(service.name)"))
            relays.append(hosted.relay)
            consumers.append(contentsOf: hosted.consumers as [any Service])
            running.append(contentsOf: host.groups.map(\.group))
        }
        let services = relays + consumers
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
