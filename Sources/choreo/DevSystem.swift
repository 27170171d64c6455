import Consumers
import Foundation
import Kafka
import Logging
import Operations
import Outbox
import Postgres
import ServiceLifecycle
import Services
import Topics

/// The local system `choreo dev up` and `choreo bench e2e` run: the embedded broker with
/// every declared topic, every service's database (created and migrated), every service
/// with its relay and consumer groups — in this process, or each as its own
/// `choreo service run` child with `processes` — and a driver built by the caller, which
/// ends the run when it returns.
struct DevSystem {
    let root: ProjectRoot
    let brokers: Int
    let processes: Bool
    /// Benchmarks: each service gets the database `choreo_bench_<service>` on the server its
    /// own database is on, dropped and created empty at start, so earlier runs' rows (and the
    /// plans cached on them) weigh on no figure. `dev up` keeps its databases.
    var scratchDatabases = false

    /// What a driver gets to work with.
    struct Parts: Sendable {
        let kafka: KafkaConfiguration
        /// Builds commands as every event is built (validated, routed, enveloped).
        let writer: OutboxWriter
        /// Every service database, by service name (the driver connects as `choreo-dev`).
        let databases: [String: PostgresConfiguration]
        let deadLetterTopics: [String]
        /// Each consumer group's main topics, for its lag.
        let groups: [String: [String]]
        /// What the driver waits for before it seeds (`DevDriver.seed`).
        var readiness = DevReadiness.none
        /// Every topic the driver may send to: their metadata is fetched before the first send.
        var topics: [String] = []
        /// When the system started, for "ready in X s".
        var startedAt = ContinuousClock.now
        /// Where the status panel reads the metrics.
        var metrics = DevMetricsSource()
    }

    /// Builds and runs everything; returns after the driver returned and everything stopped,
    /// or after SIGINT/SIGTERM.
    /// - Parameter operations: the process's operations endpoint (metrics, health), given the
    ///   service databases and the in-process consumers and relays it checks; it is started
    ///   first, so it answers until the end.
    func run(
        logger: Logger,
        operations: ([PostgresConfiguration], [ConsumerRuntime], [OutboxRelay]) throws -> [ServiceGroupConfiguration
            .ServiceConfiguration] = { _, _, _ in [] },
        makeDriver: (Parts) -> any Service
    ) async throws {
        let startedAt = ContinuousClock.now
        let catalog = try TopicCatalog.load(directory: root.topics)
        let broker = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        defer { broker.shutdown() }
        // Declared topics and each group's derived retry, dead-letter and replay topics.
        let topics = try ProjectTopics.all(catalog: catalog, root: root)
        for topic in topics { try broker.createTopic(topic.name, partitions: topic.partitions) }
        say(broker.bootstrapServers)
        try DevState(bootstrapServers: broker.bootstrapServers, pid: getpid(), startedAt: Date()).write(root: root)
        defer { DevState.remove(root: root, ifOwnedBy: getpid()) }
        // Consumers use ConsumerConfiguration.fetchMaxWait (10 ms): the embedded broker holds
        // an empty fetch for the whole wait, so librdkafka's 500 ms would be added to every hop.
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        let environment = try ServiceHandlers.environment(root: root, kafka: kafka)

        var hosts: [ServiceHost] = []
        for service in try ServiceHandlers.catalog().services {
            var database = try ServiceDatabase.configuration(service: service.name)
            if scratchDatabases {
                database.database = ServiceDatabase.defaultName(service: service.name, prefix: "choreo_bench_")
                try await ServiceDatabase.recreate(database, logger: logger)
            }
            let host = try ServiceHost(service: service, environment: environment, database: database)
            try await host.prepare(logger: logger)
            hosts.append(host)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var consumers: [ConsumerRuntime] = []
        var relays: [OutboxRelay] = []
        // Each child serves its operations endpoint on a port of its own, whose
        // /health/ready the driver waits for.
        var childPorts: [(name: String, port: Int)] = []
        if processes {
            let children = try DevPorts.assign(
                hosts.map { ($0.service.name, ["service", "run", $0.service.name]) } + DevWorkers.present())
            childPorts = children.ports
            services.append(
                .init(
                    service: ChildServices(
                        children: children.children, environment: childEnvironment(broker), logger: logger)))
        } else {
            // Clients first, relays next and consumers after: the group stops in reverse order,
            // so every consumer stops before any relay, and the clients they share close last.
            let hosted = try hosts.map { try $0.makeServices(logger: Logger(label: "choreo.dev.\($0.service.name)")) }
            services += hosted.map { .init(service: $0.clients) }
            relays = hosted.map(\.relay)
            services += relays.map { .init(service: $0) }
            consumers = hosted.flatMap(\.consumers)
            services += consumers.map { .init(service: $0) }
            let workers = try DevPorts.assign(DevWorkers.present())
            childPorts = workers.ports
            if !workers.children.isEmpty {
                services.append(
                    .init(
                        service: ChildServices(
                            children: workers.children, environment: childEnvironment(broker), logger: logger)))
            }
        }
        let parts = Parts(
            kafka: kafka,
            writer: OutboxWriter(registry: environment.registry, source: "/choreo/dev", routes: environment.routes),
            databases: Dictionary(uniqueKeysWithValues: hosts.map { ($0.service.name, $0.database) }),
            deadLetterTopics: environment.groups.map(\.resolvedDeadLetterTopic),
            groups: Dictionary(uniqueKeysWithValues: environment.groups.map { ($0.group, $0.topics) }),
            readiness: DevReadiness(
                checks: (processes ? [] : [.consumers(consumers), .relays(relays)])
                    + (childPorts.isEmpty ? [] : [.children(childPorts)])),
            topics: catalog.topics.map(\.name), startedAt: startedAt,
            metrics: DevMetricsSource(ports: childPorts.map(\.port)))
        // The driver stops first; when it returns (the run is over) the group shuts down.
        services.append(.init(service: makeDriver(parts), successTerminationBehavior: .gracefullyShutdownGroup))
        logger.info(
            "choreo dev up: embedded broker and every service running; Ctrl-C to stop",
            metadata: [
                "bootstrap": "\(broker.bootstrapServers)", "topics": "\(topics.count)",
                "services": "\(hosts.map(\.service.name).joined(separator: ","))", "processes": "\(processes)",
            ])
        services.insert(contentsOf: try operations(hosts.map(\.database), consumers, relays), at: 0)
        services.insert(contentsOf: try TracingBootstrap.services(service: "dev", logger: logger), at: 0)
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    private func childEnvironment(_ broker: EmbeddedKafkaCluster) -> [String: String] {
        ["CHOREO_BOOTSTRAP_SERVERS": broker.bootstrapServers, "CHOREO_ROOT": root.url.path]
    }
}
