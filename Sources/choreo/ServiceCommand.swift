import ArgumentParser
import Foundation
import Logging
import Operations
import ServiceLifecycle
import Services

/// `choreo service list|run`: the services of this build, each run in its own process.
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "List the services of this build, or run one (its consumer groups and its outbox relay).",
        subcommands: [ServiceListCommand.self, ServiceRunCommand.self]
    )
}

struct ServiceListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The services and the consumer groups each runs.")

    @OptionGroup var root: RootOptions

    func run() throws {
        let environment = try ServiceHandlers.environment(root: root.projectRoot, kafka: .init(bootstrapServers: ""))
        print("SERVICE".padding(16) + "DATABASE".padding(24) + "GROUPS")
        for service in try ServiceHandlers.catalog().services {
            print(
                service.name.padding(16) + ServiceDatabase.defaultName(service: service.name).padding(24)
                    + environment.groups(of: service.name).map(\.group).joined(separator: ", "))
        }
    }
}

struct ServiceRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one service in this process: its consumer groups and its outbox relay.",
        discussion: """
            The service's database is --database-url, else CHOREO_<SERVICE>_DATABASE_URL, else
            CHOREO_DATABASE_URL with the database name replaced by choreo_<service>, else
            postgresql://choreo:choreo@127.0.0.1:5432/choreo_<service>. It is created when
            missing (if the role may) and migrated. Its groups are every consumers/*.yaml whose
            service: is <name>. Start more processes to scale a group; SIGTERM or SIGINT stops
            the consumers (finishing their batches) and then the relay.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var operations: OperationsOptions
    @OptionGroup var logging: LogOptions

    @Argument(help: "The service (see `choreo service list`).")
    var name: String

    @Option(help: "Consumer instances per group in this process (default: each group's instances).")
    var instances: Int?

    func validate() throws {
        if let instances, !(1...64).contains(instances) { throw ValidationError("--instances must be 1…64") }
    }

    func run() async throws {
        try logging.bootstrap()
        operations.bootstrapMetrics()
        var logger = Logger(label: "choreo.service")
        logger[metadataKey: "service"] = "\(name)"
        let tracing = try TracingBootstrap.services(service: name, logger: logger)
        let host = try ServiceHost(
            service: try ServiceHandlers.catalog().service(named: name),
            environment: try ServiceHandlers.environment(
                root: root.projectRoot, kafka: try kafka.configuration(root: root.projectRoot)),
            database: try database.configuration(service: name),
            instances: instances)
        logger.info(
            "running service",
            metadata: ["groups": "\(host.groups.map(\.group).joined(separator: ","))", "database": "\(host.database)"])
        // A service started while its database is unreachable waits for it (SIGTERM ends the wait).
        try await host.prepareWhenReachable(logger: logger)
        let hosted = try host.makeServices(logger: logger)
        let checks: [ReadinessCheck] = [
            .databases([host.database]), .consumers(hosted.consumers), .relays([hosted.relay]),
        ]
        // The endpoint first: a group stops in reverse order, so it answers until the end.
        let services =
            try tracing + operations.services(checks: checks, logger: logger)
            + hosted.ordered.map { .init(service: $0) }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
