import ArgumentParser
import Contracts
import Foundation
import Kafka
import Logging
import Services
import Topics
import Tracing

/// `choreo publish`: validate data against its contract and publish it as a CloudEvent.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Validate data against its contract and publish it as a CloudEvents message.",
        discussion: """
            Prints topic, partition, offset and ce_id. Invalid data exits 1 with the validation
            errors and publishes nothing. The topic comes from topics/*.yaml unless --topic is given.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions

    @Argument(help: "Event type without version, e.g. order.placed (or with it: order.placed.v1).")
    var type: String

    @Option(help: "Contract major version (default: the type's .vN suffix, else the newest).")
    var version: Int?

    @Option(help: "Partition key (the aggregate id).")
    var key: String

    @Option(help: "The event data: JSON, or @file, or @- for standard input.")
    var data: String

    @Option(help: "Topic (default: the topic that carries the type in topics/).")
    var topic: String?

    @Option(help: "ce_source (default /choreo/cli).")
    var source: String = "/choreo/cli"

    @Option(help: "ce_correlationid (default: the new ce_id).")
    var correlationId: String?

    @Option(help: "ce_causationid.")
    var causationId: String?

    @Option(name: .customLong("header"), help: ArgumentHelp("Extra header k=v, repeatable.", valueName: "k=v"))
    var headers: [String] = []

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let project = root.projectRoot
        let registry = try ContractRegistry(directory: project.contracts)
        let eventType = try resolveType(registry: registry)
        let bytes = try DataArgument.bytes(data)
        let document: JSONValue
        do { document = try JSONValue(parsing: bytes) } catch {
            throw CLI.failure(1, "--data is not JSON: \(error)")
        }
        let problems = registry.validate(document, as: eventType)
        guard problems.isEmpty else {
            throw CLI.failure(
                1,
                "invalid \(eventType); nothing published:\n" + problems.map { "  \($0)" }.joined(separator: "\n"))
        }
        let destination: String
        if let topic {
            destination = topic
        } else {
            let catalog = try TopicCatalog.load(directory: project.topics)
            guard let carrier = catalog.outboxRoutes.topic(for: eventType) else {
                throw ValidationError("no topic in \(project.topics.path) carries \(eventType); pass --topic")
            }
            destination = carrier
        }
        let id = UUID()
        let envelope = EventEnvelope(
            id: id, type: eventType, source: source, time: Date(), subject: key,
            correlationID: correlationId ?? id.uuidString.lowercased(), causationID: causationId, traceparent: nil)
        var kafkaHeaders = envelope.kafkaHeaders()
        for pair in headers {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--header expects k=v, got '\(pair.prefix(60))'")
            }
            let name = String(pair[..<equals])
            guard !ReservedHeaders.isReserved(name) else {
                throw ValidationError(
                    "--header '\(name.prefix(60))' is reserved: ce_*, content-type, traceparent, retry_*, dlq_* and choreo_* are set by Choreo"
                )
            }
            kafkaHeaders.append(
                KafkaHeader(key: String(pair[..<equals]), string: String(pair[pair.index(after: equals)...])))
        }
        var configuration = KafkaProducerConfiguration(client: try kafka.configuration(root: project))
        configuration.messageTimeout = .seconds(15)
        let producer = try KafkaProducer(configuration: configuration)
        // A producer span starts the event's trace; its traceparent goes out with the message.
        // The exporter (when configured) flushes it before exit.
        let report: KafkaDeliveryReport
        do {
            report = try await TracingBootstrap.flushing(service: "publish", logger: Logger(label: "choreo.publish")) {
                var attributes = SpanAttributes()
                attributes["messaging.system"] = "kafka"
                attributes["messaging.operation.type"] = "send"
                attributes["messaging.operation.name"] = "publish"
                attributes["messaging.destination.name"] = destination
                attributes["messaging.message.id"] = UUIDText.lowercased(id)
                attributes["cloudevents.event_type"] = eventType.description
                let span = TraceContextPropagation.startSpan(
                    "publish \(destination)", continuing: nil, ofKind: .producer, attributes: attributes)
                do {
                    let report = try await producer.send(
                        KafkaProducerMessage(
                            topic: destination, partition: nil, key: Array(key.utf8), value: bytes,
                            headers: TraceContextPropagation.headers(kafkaHeaders, continuingFrom: span)))
                    span.end(delivery: .success(report))
                    return report
                } catch {
                    span.fail(error)
                    throw error
                }
            }
        } catch {
            await producer.shutdown()
            throw error
        }
        await producer.shutdown()
        print(
            "published \(eventType) to \(report.topic) partition \(report.partition) offset \(report.offset) ce_id \(id.uuidString.lowercased())"
        )
    }

    private func resolveType(registry: ContractRegistry) throws -> EventType {
        if let parsed = EventType(parsing: type) {
            if let version, version != parsed.version {
                throw ValidationError("\(type) names v\(parsed.version) but --version is \(version)")
            }
            return parsed
        }
        guard let newest = version ?? registry.latestVersion(of: type) else {
            throw ValidationError("no contract for '\(type)' in contracts/ (see `choreo contracts check`)")
        }
        return EventType(name: type, version: newest)
    }
}
