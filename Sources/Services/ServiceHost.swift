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
/// Configuration is built once and injected; the relay is registered before the consumers,
/// so the group's reverse-order shutdown stops the consumers (which emit into the outbox)
/// before the relay that publishes what they emitted.
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

    /// The relay and every consumer instance, in start order (relay first: it stops last).
    public func makeServices(logger: Logger) throws -> HostedServices {
        var relayLogger = logger
        relayLogger[metadataKey: "component"] = "relay"
        let relay = try OutboxRelay(database: database, configuration: relay, logger: relayLogger)
        var consumers: [ConsumerRuntime] = []
        for spec in groups {
            let configuration = try consumerConfiguration(spec)
            for index in 0..<(instances ?? spec.instances ?? 1) {
                var consumerLogger = logger
                consumerLogger[metadataKey: "group"] = "\(spec.group)"
                consumerLogger[metadataKey: "instance"] = "\(index)"
                consumers.append(try ConsumerRuntime(configuration: configuration, logger: consumerLogger))
            }
        }
        return HostedServices(service: service.name, relay: relay, consumers: consumers)
    }

    /// Prepares the database and runs the relay and consumers until one of `signals`
    /// (default SIGTERM and SIGINT) or cancellation; then stops them in reverse order.
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
    public let relay: OutboxRelay
    public let consumers: [ConsumerRuntime]

    /// Relay first, consumers after: a `ServiceGroup` shuts down in reverse order, so the
    /// consumers stop before the relay that publishes what they emitted.
    public var ordered: [any Service] { [relay] + consumers }
}
