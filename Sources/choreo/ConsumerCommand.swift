import ArgumentParser
import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import Operations
import Outbox
import Postgres
import ServiceLifecycle
import Services
import Topics

/// `choreo consumer list|status|run`: consumer-group deployments from `consumers/*.yaml`.
struct ConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer",
        abstract: "Run, list and inspect consumer groups declared in consumers/*.yaml.",
        subcommands: [ConsumerListCommand.self, ConsumerStatusCommand.self, ConsumerRunCommand.self]
    )
}

struct ConsumerListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the declared consumer groups.")

    @OptionGroup var root: RootOptions

    @Flag(help: "One JSON object per line instead of the table.")
    var json = false

    func run() throws {
        let specs = try ConsumerGroupSpec.loadAll(root.projectRoot.consumers)
        if json {
            for spec in specs {
                JSONLines.print([
                    ("group", .string(spec.group)), ("service", .string(spec.service)),
                    ("instances", JSONLines.int(spec.instances ?? 1)), ("topics", JSONLines.strings(spec.topics)),
                    ("handles", JSONLines.strings(spec.handles)),
                    ("dead_letter_topic", .string(spec.resolvedDeadLetterTopic)),
                ])
            }
            return
        }
        guard !specs.isEmpty else {
            print("no consumer groups declared in \(root.projectRoot.consumers.path)")
            return
        }
        print("GROUP".padding(28) + "SERVICE".padding(16) + "INSTANCES".padding(11) + "TOPICS → HANDLES")
        for spec in specs {
            print(
                spec.group.padding(28) + spec.service.padding(16) + "\(spec.instances ?? 1)".padding(11)
                    + spec.topics.joined(separator: ",") + " → " + spec.handles.joined(separator: ","))
        }
    }
}

struct ConsumerStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per partition: committed offset, high watermark and lag; and the retry/dead-letter backlog."
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions

    @Argument(help: "The group (default: every declared group).")
    var group: String?

    @Flag(help: "One JSON object per line instead of the table.")
    var json = false

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let specs = try ConsumerGroupSpec.loadAll(root.projectRoot.consumers).filter {
            group == nil || $0.group == group
        }
        if let group, specs.isEmpty {
            throw ValidationError("no consumer group '\(group)' in \(root.projectRoot.consumers.path)")
        }
        let admin = try KafkaAdmin(configuration: try kafka.configuration(root: root.projectRoot))
        let metadata = try await admin.metadata(timeout: .seconds(10))
        for spec in specs {
            if !json { print("\(spec.group) (service \(spec.service))") }
            if !json {
                print(
                    "  " + "TOPIC".padding(36) + "PART".padding(6) + "COMMITTED".padding(12) + "HIGH".padding(12)
                        + "LAG")
            }
            let retryTopics = try spec.retryPolicy().delays.map { RetryPolicy.retryTopic(group: spec.group, delay: $0) }
            var retryBacklog: Int64 = 0
            for topic in spec.topics + retryTopics {
                guard let described = metadata.topics.first(where: { $0.name == topic }) else {
                    if json {
                        JSONLines.print([
                            ("kind", .string("missing-topic")), ("group", .string(spec.group)),
                            ("topic", .string(topic)),
                        ])
                    } else {
                        print("  " + topic.padding(36) + "(topic does not exist)")
                    }
                    continue
                }
                let partitions = described.partitions.map { KafkaTopicPartition(topic: topic, partition: $0.id) }
                let committed = try await admin.committedOffsets(
                    group: spec.group, partitions: partitions, timeout: .seconds(10))
                for partition in partitions {
                    let marks = try await admin.watermarks(
                        topic: topic, partition: partition.partition, timeout: .seconds(10))
                    let offset = committed.first { $0.partition == partition.partition }?.offset ?? -1
                    let lag = offset >= 0 ? marks.high - offset : marks.high - marks.low
                    if retryTopics.contains(topic) { retryBacklog += lag }
                    if json {
                        JSONLines.print([
                            ("kind", .string("partition")), ("group", .string(spec.group)), ("topic", .string(topic)),
                            ("partition", JSONLines.int(partition.partition)),
                            ("committed", offset >= 0 ? JSONLines.int(offset) : .null),
                            ("high", JSONLines.int(marks.high)), ("lag", JSONLines.int(lag)),
                            ("retry_topic", .bool(retryTopics.contains(topic))),
                        ])
                        continue
                    }
                    print(
                        "  " + topic.padding(36) + "\(partition.partition)".padding(6)
                            + (offset >= 0 ? "\(offset)" : "-").padding(12) + "\(marks.high)".padding(12) + "\(lag)")
                }
            }
            var deadLetters: Int64 = 0
            if let dlq = metadata.topics.first(where: { $0.name == spec.resolvedDeadLetterTopic }) {
                for partition in dlq.partitions {
                    let marks = try await admin.watermarks(
                        topic: dlq.name, partition: partition.id, timeout: .seconds(10))
                    deadLetters += marks.high - marks.low
                }
            }
            if json {
                JSONLines.print([
                    ("kind", .string("group")), ("group", .string(spec.group)), ("service", .string(spec.service)),
                    ("retry_backlog", JSONLines.int(retryBacklog)),
                    ("dead_letter_topic", .string(spec.resolvedDeadLetterTopic)),
                    ("dead_letters", JSONLines.int(deadLetters)),
                ])
            } else {
                print(
                    "  retry backlog: \(retryBacklog); dead letters in \(spec.resolvedDeadLetterTopic): \(deadLetters)")
            }
        }
    }
}

struct ConsumerRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a consumer group's instances in this process until SIGTERM/SIGINT.",
        discussion: """
            --instances N starts N consumer instances (Kafka group members) in this process;
            run the command on several hosts to spread them. SIGTERM or SIGINT finishes each
            instance's batch, commits and leaves the group.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var operations: OperationsOptions
    @OptionGroup var logging: LogOptions

    @Argument(help: "The group, as declared in consumers/<group>.yaml.")
    var group: String

    @Option(help: "Consumer instances in this process (default: the spec's instances).")
    var instances: Int?

    func run() async throws {
        try logging.bootstrap()
        operations.bootstrapMetrics()
        let logger = Logger(label: "choreo.consumer.\(group)")
        let file = root.projectRoot.consumers.appending(path: "\(group).yaml")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ValidationError(
                "no consumer group '\(group)': \(file.path) does not exist (see `choreo consumer list`)")
        }
        let spec = try ConsumerGroupSpec.load(file)
        let count = instances ?? spec.instances ?? 1
        let tracing = try TracingBootstrap.services(service: spec.service, logger: logger)
        guard (1...64).contains(count) else { throw ValidationError("--instances must be 1…64") }
        let environment = try ServiceHandlers.environment(
            root: root.projectRoot, kafka: try kafka.configuration(root: root.projectRoot))
        let service = try ServiceHandlers.catalog().service(named: spec.service)
        let host = try ServiceHost(
            service: service, environment: environment,
            database: try database.configuration(service: spec.service))
        try await host.prepare(logger: logger)
        var configuration = try host.consumerConfiguration(spec)
        if ProcessInfo.processInfo.environment["CHOREO_TEST_KILL_AFTER_PARKED_COMMIT"] == "1" {
            // Test hook (ParkingProcessTests): die like kill -9 between the commit that records a
            // released event's retry and its publication.
            configuration._afterParkedPublicationCommit = { kill(getpid(), SIGKILL) }
        }
        // One pool and one retry/dead-letter producer for every instance, as a hosted service
        // has; registered before the instances, so it closes after they stopped.
        let clients = ServiceClients(
            database: configuration.database, consumerInstances: count,
            producer: SharedProducer.configuration(for: configuration), logger: logger)
        let runtimes = try (0..<count).map { index in
            try ConsumerRuntime(
                configuration: configuration, clients: clients.consumers,
                logger: Logger(label: "choreo.consumer.\(group).\(index)"))
        }
        logger.info("running consumer group", metadata: ["group": "\(group)", "instances": "\(count)"])
        let services = try operations.services(
            checks: [.databases([configuration.database]), .consumers(runtimes)], logger: logger)
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: tracing + services + [.init(service: clients)] + runtimes.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await serviceGroup.run()
    }
}

extension String {
    /// Left-aligned in a column of `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
