import ChoreoTestSupport
import Consumers
import Contracts
import DeadLetters
import Foundation
import Kafka
import Logging
import Postgres
import Testing
import Topics

/// An embedded broker with a main topic, `test-group`'s retry, dead-letter and replay topics
/// and another group's; a project root (consumers/, topics/, contracts/) declaring them; a
/// service database with the consumer tables and `effects`; and an operations database
/// with the dead-letter store.
struct DeadLetterTestHarness: Sendable {
    static let topic = "consumer.test.events"
    static let group = "test-group"
    static let otherGroup = "other-group"
    static let retry = RetryPolicy(delays: [.milliseconds(200)])

    let broker: EmbeddedKafkaCluster
    let database: PostgresConfiguration
    let ops: PostgresConfiguration
    let store: DeadLetterStore
    let root: URL
    let registry: ContractRegistry
    /// test-group's `preserveKeyOrder`.
    var preserveKeyOrder = false

    /// `redrive`: the YAML of `deadLetters.redrive` for test-group, if any.
    static func with<T>(
        redrive: String? = nil, preserveKeyOrder: Bool = false, _ body: (DeadLetterTestHarness) async throws -> T
    ) async throws -> T {
        let topics: [(String, Int)] = [
            (topic, 3), (RetryPolicy.retryTopic(group: group, delay: .milliseconds(200)), 1),
            (RetryPolicy.deadLetterTopic(group: group), 1), (RetryPolicy.replayTopic(group: group), 1),
            (RetryPolicy.deadLetterTopic(group: otherGroup), 1), (RetryPolicy.replayTopic(group: otherGroup), 1),
        ]
        let registry = try TestContracts.registry()
        let root = try makeRoot(
            contracts: try #require(registry.directory), redrive: redrive, preserveKeyOrder: preserveKeyOrder)
        defer { try? FileManager.default.removeItem(at: root) }
        return try await withEmbeddedKafka(brokers: 1, topics: topics) { broker in
            try await withScratchDatabase { database in
                let connection = try await PostgresConnection.connect(configuration: database)
                try await ConsumerSchema.install(on: connection)
                try await connection.simpleQuery(
                    "CREATE TABLE effects (id bigserial PRIMARY KEY, event_id uuid NOT NULL, key text, seq int)")
                await connection.close()
                return try await withScratchDatabase { ops in
                    let pool = PostgresConnectionPool(configuration: ops, maxConnections: 2)
                    let store = DeadLetterStore(pool: pool)
                    do {
                        try await store.install()
                        let result = try await body(
                            DeadLetterTestHarness(
                                broker: broker, database: database, ops: ops, store: store, root: root,
                                registry: registry, preserveKeyOrder: preserveKeyOrder))
                        await pool.shutdown()
                        return result
                    } catch {
                        await pool.shutdown()
                        throw error
                    }
                }
            }
        }
    }

    private static func makeRoot(contracts: URL, redrive: String?, preserveKeyOrder: Bool) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-dlq-test-\(UUID())")
        let manager = FileManager.default
        for directory in ["consumers", "topics"] {
            try manager.createDirectory(at: root.appending(path: directory), withIntermediateDirectories: true)
        }
        try manager.createSymbolicLink(at: root.appending(path: "contracts"), withDestinationURL: contracts)
        func write(_ path: String, _ text: String) throws {
            try Data(text.utf8).write(to: root.appending(path: path))
        }
        var spec = """
            group: \(group)
            service: event-log
            topics: [\(topic)]
            handles: [test.event.v1]
            retry: { delays: [200ms] }
            processedRetention: 1h
            preserveKeyOrder: \(preserveKeyOrder)

            """
        if let redrive { spec += "deadLetters:\n  redrive:\n\(redrive)\n" }
        try write("consumers/\(group).yaml", spec)
        try write(
            "consumers/\(otherGroup).yaml",
            """
            group: \(otherGroup)
            service: event-log
            topics: [\(topic)]
            handles: [test.event.v1]
            processedRetention: 30d

            """)
        try write(
            "topics/\(topic).yaml",
            """
            name: \(topic)
            kind: events
            partitions: 3
            eventTypes: [test.event.v1]

            """)
        return root
    }

    var consumers: URL { root.appending(path: "consumers") }
    var opsURL: String { databaseURL(of: ops) }

    /// The runtime configuration of test-group (the runtime subscribes to its replay topic
    /// itself).
    func configuration(handler: @escaping EventHandler) -> ConsumerConfiguration {
        var handlers = EventHandlers()
        handlers.on(TestContracts.v1, handler)
        var configuration = ConsumerConfiguration(
            group: Self.group, topics: [Self.topic], handlers: handlers,
            registry: registry, database: database, kafka: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        )
        configuration.retry = Self.retry
        configuration.sessionTimeout = .seconds(6)
        configuration.initialBackoff = .milliseconds(100)
        configuration.maximumBackoff = .milliseconds(500)
        configuration.preserveKeyOrder = preserveKeyOrder
        return configuration
    }

    /// Records the event in `effects`; an event whose `seq` is 13 fails permanently.
    static let recordEffect: EventHandler = { event, context in
        struct TestEvent: Decodable { var key: String; var seq: Int }
        let data = try event.decode(TestEvent.self)
        if data.seq == 13 { throw PermanentFailure("seq 13 is unlucky") }
        try await context.connection.execute(
            "INSERT INTO effects (event_id, key, seq) VALUES (\(event.envelope.id), \(data.key), \(data.seq))")
    }

    /// Runs `body` with a runtime of test-group, stopped afterwards.
    func withRuntime<T>(
        handler: @escaping EventHandler = recordEffect, _ body: (ConsumerRuntime) async throws -> T
    ) async throws -> T {
        let runtime = try ConsumerRuntime(
            configuration: configuration(handler: handler), logger: testLogger("consumer"))
        let task = Task { try await runtime.run() }
        do {
            let result = try await body(runtime)
            runtime.requestStop()
            try await task.value
            return result
        } catch {
            runtime.requestStop()
            _ = try? await task.value
            throw error
        }
    }

    /// Runs `body` with an in-process dead-letter worker, stopped afterwards.
    func withWorker<T>(_ body: () async throws -> T) async throws -> T {
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        var configuration = DeadLetterWorkerConfiguration(
            groups: try ConsumerGroupSpec.loadAll(consumers), kafka: kafka)
        configuration.sessionTimeout = .seconds(6)
        configuration.redriveInterval = .milliseconds(100)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: kafka))
        let replayer = DeadLetterReplayer(
            store: store,
            destinations: ReplayDestinations(
                groups: try ConsumerGroupSpec.loadAll(consumers),
                catalog: try TopicCatalog.load(directory: root.appending(path: "topics"))),
            registry: registry, producer: producer)
        let worker = try DeadLetterWorker(
            configuration: configuration, store: store, replayer: replayer, logger: testLogger("dlq-worker"))
        let task = Task { try await worker.run() }
        do {
            let result = try await body()
            worker.requestStop()
            try await task.value
            await producer.shutdown()
            return result
        } catch {
            worker.requestStop()
            _ = try? await task.value
            await producer.shutdown()
            throw error
        }
    }

    /// Publishes a `test.event.v1` with `data` (valid or not) to the main topic; returns its id.
    @discardableResult
    func publish(key: String, data: String, id: UUID = UUID()) async throws -> UUID {
        let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(broker))
        let envelope = EventEnvelope(
            id: id, type: TestContracts.v1, source: "/tests/dead-letters", subject: key, correlationID: "corr-\(key)",
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        _ = try await producer.send(
            KafkaProducerMessage(
                topic: Self.topic, partition: nil, key: Array(key.utf8), value: Array(data.utf8),
                headers: envelope.kafkaHeaders()))
        await producer.shutdown()
        return id
    }

    /// Rows in `effects` for `id`.
    func effects(_ id: UUID) async throws -> Int {
        let connection = try await PostgresConnection.connect(configuration: database)
        let rows = try await connection.query("SELECT count(*)::bigint FROM effects WHERE event_id = \(id)")
        await connection.close()
        return Int(try rows.first?.decode(Int64.self, column: 0) ?? 0)
    }

    func reader(_ topic: String, partitions: Int = 1) -> TopicReader {
        TopicReader(bootstrapServers: broker.bootstrapServers, topic: topic, partitions: partitions)
    }

    /// `choreo <arguments>` against this broker, root and operations database.
    func choreo(_ arguments: [String]) async throws -> ProcessRun {
        try await ProcessRun.choreo(
            arguments,
            environment: [
                "CHOREO_ROOT": root.path, "CHOREO_BOOTSTRAP_SERVERS": broker.bootstrapServers,
                "CHOREO_OPS_DATABASE_URL": opsURL,
            ])
    }
}
