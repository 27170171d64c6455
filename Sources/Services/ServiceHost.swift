import Consumers
import Kafka
import Logging
import Outbox
import Postgres
import ServiceLifecycle
import UnixSignals

/// Runs one service against its own database: its migrations, the consumer and outbox
/// schemas, its outbox relay and its consumer groups (every `consumers/*.yaml` whose
/// `service:` matches), all as `Service`s of one `ServiceGroup`.
///
/// Configuration is built once; the clients (one connection pool of the service's
/// database, one producer for the consumers' retries and dead letters: ``ServiceClients``)
/// are created once and injected into the relay and every consumer instance. Registration
/// order is clients, relay, consumers, so the group's reverse-order shutdown stops the
/// consumers (which emit into the outbox and use the clients) first, then the relay that
/// publishes what they emitted, and closes the clients last.
public struct ServiceHost: Sendable {
    public let service: ServiceDescription
    public let environment: ServiceEnvironment
    public let database: PostgresConfiguration
    /// Consumer instances per group in this process (default: each spec's `instances`).
    public let instances: Int?
    /// Relay settings beyond the producer (batch size, linger).
    public var relay: OutboxRelayConfiguration

    /// The groups this host runs.
    public var groups: [ConsumerGroupSpec] { environment.groups(of: service.name) }

    /// - Throws: `ServiceError.configuration` when a group lists a type the service cannot
    ///   handle, or `instances` is outside 1…64.
    public init(
        service: ServiceDescription, environment: ServiceEnvironment, database: PostgresConfiguration,
        instances: Int? = nil
    ) throws {
        if let instances, !(1...64).contains(instances) {
            throw ServiceError(code: .configuration, message: "instances must be 1…64, got \(instances)")
        }
        self.service = service
        self.environment = environment
        self.database = database
        self.instances = instances
        var relay = try OutboxRelayConfiguration(producer: KafkaProducerConfiguration(client: environment.kafka))
        relay.defaultSource = service.source
        relay.declaredTopics = environment.catalog?.declaredTopicsByType
        self.relay = relay
        for spec in environment.groups(of: service.name) { _ = try service.handlers(for: spec) }
    }

    /// Creates the database if missing (where the role may) and installs the consumer
    /// schema, the service's tables and the outbox. Idempotent.
    public func prepare(logger: Logger) async throws {
        try await ServiceDatabase.createIfMissing(database, logger: logger)
        let connection = try await PostgresConnection.connect(configuration: database, logger: logger)
        do {
            try await ConsumerSchema.install(on: connection)
            _ = try await Migrator(migrations: service.migrations).migrate(on: connection)
            try await OutboxSchema.standard.install(on: connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    /// `prepare`, tried again with backoff (200 ms doubling to `maximumBackoff`) while the
    /// database is unreachable, so a service started during a database outage or a network
    /// partition waits for its database instead of exiting. Any other error is thrown at
    /// once; cancellation ends the wait.
    public func prepareWhenReachable(logger: Logger, maximumBackoff: Duration = .seconds(5)) async throws {
        var backoff = Duration.milliseconds(200)
        var failures = 0
        while true {
            do {
                try await prepare(logger: logger)
                if failures > 0 {
                    logger.info("database reachable again; service prepared", metadata: ["failures": "\(failures)"])
                }
                return
            } catch  where Self.isTransient(error) {
                failures += 1
                if failures == 1 || failures % 10 == 0 {
                    logger.warning(
                        "database unreachable; waiting for it before starting",
                        metadata: ["failures": "\(failures)", "backoff": "\(backoff)", "error": "\(error)"])
                }
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maximumBackoff)
            }
        }
    }

    /// Whether `error` from `prepare` may pass by itself (the database unreachable, a lost
    /// connection, a server shutting down).
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: return error.isRetriable
        case let error as ServiceError: return error.isRetriable
        default: return false
        }
    }

    /// The consumer configuration of one group of this service.
    public func consumerConfiguration(_ spec: ConsumerGroupSpec) throws -> ConsumerConfiguration {
        var configuration = ConsumerConfiguration(
            group: spec.group, topics: spec.topics, handlers: try service.handlers(for: spec),
            registry: environment.registry, upcasters: service.upcasters,
            writer: OutboxWriter(registry: environment.registry, source: service.source, routes: environment.routes),
            database: database, kafka: environment.kafka)
        configuration.batchSize = spec.batchSize ?? configuration.batchSize
        configuration.retry = try spec.retryPolicy()
        configuration.deadLetterTopic = spec.deadLetterTopic
        configuration.preserveKeyOrder = spec.preserveKeyOrder ?? false
        configuration.processedRetention = try spec.retention()
        configuration.topicTypes = environment.catalog?.declaredTypes(ofTopics: spec.topics)
        configuration.limits = try spec.messageLimits()
        return configuration
    }

    /// Consumer instances this host runs, over all its groups.
    public var consumerInstances: Int { groups.reduce(0) { $0 + (instances ?? $1.instances ?? 1) } }

    /// The clients, the relay and every consumer instance, in start order (clients first:
    /// they close last; the relay next: it stops after the consumers).
    public func makeServices(logger: Logger) throws -> HostedServices {
        var clientsLogger = logger
        clientsLogger[metadataKey: "component"] = "clients"
        let configurations = try groups.map { try consumerConfiguration($0) }
        let clients = ServiceClients(
            database: database, consumerInstances: consumerInstances,
            producer: configurations.first.map(SharedProducer.configuration(for:))
                ?? KafkaProducerConfiguration(client: environment.kafka),
            logger: clientsLogger)
        var relayLogger = logger
        relayLogger[metadataKey: "component"] = "relay"
        let relay = try OutboxRelay(pool: clients.pool, configuration: relay, logger: relayLogger)
        var consumers: [ConsumerRuntime] = []
        for (spec, configuration) in zip(groups, configurations) {
            for index in 0..<(instances ?? spec.instances ?? 1) {
                var consumerLogger = logger
                consumerLogger[metadataKey: "group"] = "\(spec.group)"
                consumerLogger[metadataKey: "instance"] = "\(index)"
                consumers.append(
                    try ConsumerRuntime(
                        configuration: configuration, clients: clients.consumers, logger: consumerLogger))
            }
        }
        return HostedServices(service: service.name, clients: clients, relay: relay, consumers: consumers)
    }

    /// Prepares the database and runs the clients, the relay and the consumers until one of
    /// `signals` (default SIGTERM and SIGINT) or cancellation; then stops them in reverse
    /// order: consumers, relay, clients.
    public func run(
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint], logger: Logger
    ) async throws {
        try await prepareWhenReachable(logger: logger)
        let hosted = try makeServices(logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: hosted.ordered, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        try await group.run()
    }
}

/// The long-running parts of one hosted service.
public struct HostedServices: Sendable {
    public let service: String
    /// The pool and the consumers' producer, shared by the relay and the consumers.
    public let clients: ServiceClients
    public let relay: OutboxRelay
    public let consumers: [ConsumerRuntime]

    /// Clients first, relay next, consumers last: a `ServiceGroup` shuts down in reverse
    /// order, so the consumers stop before the relay that publishes what they emitted, and
    /// both before the clients they use are closed.
    public var ordered: [any Service] { [clients, relay] + consumers }
}
