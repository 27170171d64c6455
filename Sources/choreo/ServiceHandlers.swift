import Consumers
import Contracts
import Kafka
import Logging
import Outbox
import Postgres
import Topics

/// The services whose handlers this build of `choreo` can run for `choreo consumer run`.
enum ServiceHandlers {
    struct Service {
        var handlers: EventHandlers
        var migrations: [Migration]
    }

    /// Built-in services: `event-log` records every handled event in `event_log`.
    static let known = ["event-log"]

    static func make(for spec: ConsumerGroupSpec) throws -> Service {
        let types = try spec.handles.map { text -> EventType in
            guard let type = EventType(parsing: text) else {
                throw ConsumerError(
                    code: .specification, message: "\(spec.file): handles: '\(text)' is not a type like order.placed.v1"
                )
            }
            return type
        }
        switch spec.service {
        case "event-log":
            var handlers = EventHandlers()
            for type in types { handlers.on(type, EventLog.handler) }
            return Service(handlers: handlers, migrations: EventLog.migrations)
        default:
            throw ConsumerError(
                code: .configuration,
                message:
                    "\(spec.file): service '\(spec.service)' has no handlers in this build of choreo (known: \(known.joined(separator: ", ")))"
            )
        }
    }
}

extension ServiceHandlers {
    /// Installs the group's tables (processed events, parking, the service's own, the outbox)
    /// in `database` and returns the runtime configuration the spec describes.
    static func prepareGroup(
        _ spec: ConsumerGroupSpec, registry: ContractRegistry, catalog: TopicCatalog,
        database: PostgresConfiguration, kafka: KafkaConfiguration, logger: Logger
    ) async throws -> ConsumerConfiguration {
        let service = try make(for: spec)
        let connection = try await PostgresConnection.connect(configuration: database, logger: logger)
        try await ConsumerSchema.install(on: connection)
        _ = try await Migrator(migrations: service.migrations).migrate(on: connection)
        try await OutboxSchema.standard.install(on: connection)
        await connection.close()
        var configuration = ConsumerConfiguration(
            group: spec.group, topics: spec.topics, handlers: service.handlers, registry: registry,
            writer: OutboxWriter(registry: registry, source: "/services/\(spec.service)", routes: catalog.outboxRoutes),
            database: database, kafka: kafka)
        configuration.batchSize = spec.batchSize ?? configuration.batchSize
        configuration.retry = try spec.retryPolicy()
        configuration.deadLetterTopic = spec.deadLetterTopic
        configuration.preserveKeyOrder = spec.preserveKeyOrder ?? false
        configuration.processedRetention = try spec.retention()
        configuration.topicTypes = topicTypes(of: spec, in: catalog)
        configuration.limits = try spec.messageLimits()
        return configuration
    }
}

extension ServiceHandlers {
    /// The types each of the group's event and command topics declares, for the runtime's
    /// `wrong-topic` check. Topics without a spec in `topics/` are not checked.
    static func topicTypes(of spec: ConsumerGroupSpec, in catalog: TopicCatalog) -> [String: Set<String>] {
        var types: [String: Set<String>] = [:]
        for name in spec.topics {
            guard let topic = catalog.topic(named: name), topic.kind == .events || topic.kind == .commands else {
                continue
            }
            types[name] = Set(topic.eventTypes)
        }
        return types
    }
}
