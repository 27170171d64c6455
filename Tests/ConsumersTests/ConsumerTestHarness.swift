import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import Outbox
import Postgres
import Synchronization
import Testing

/// An embedded broker with a main topic, the group's retry and dead-letter topics, and a
/// scratch database with the consumer tables and an `effects` table handlers write to.
struct ConsumerTestHarness: Sendable {
    static let topic = "consumer.test.events"
    static let partitions = 3
    static let group = "test-group"
    static let retry = RetryPolicy(delays: [.milliseconds(300), .milliseconds(600)])

    let broker: EmbeddedKafkaCluster
    let database: PostgresConfiguration
    let registry: ContractRegistry

    static func with<T>(_ body: (ConsumerTestHarness) async throws -> T) async throws -> T {
        let topics =
            [(topic, partitions)] + retry.delays.map { (RetryPolicy.retryTopic(group: group, delay: $0), 1) }
            + [(RetryPolicy.deadLetterTopic(group: group), 1), (RetryPolicy.replayTopic(group: group), 1)]
        return try await withEmbeddedKafka(brokers: 1, topics: topics) { broker in
            try await withScratchDatabase { database in
                let connection = try await PostgresConnection.connect(configuration: database)
                try await ConsumerSchema.install(on: connection)
                try await connection.simpleQuery(
                    "CREATE TABLE effects (id bigserial PRIMARY KEY, event_id uuid NOT NULL, key text, seq int)")
                await connection.close()
                return try await body(
                    ConsumerTestHarness(broker: broker, database: database, registry: try TestContracts.registry()))
            }
        }
    }

    /// A handler that records the event in `effects` (no unique constraint: a double
    /// application would show as two rows).
    static let recordEffect: EventHandler = { event, context in
        struct TestEvent: Decodable { var key: String; var seq: Int }
        let data = try event.decode(TestEvent.self)
        try await context.connection.execute(
            "INSERT INTO effects (event_id, key, seq) VALUES (\(event.envelope.id), \(data.key), \(data.seq))")
    }

    func configuration(
        handler: @escaping EventHandler = ConsumerTestHarness.recordEffect,
        batchSize: Int = 100
    ) -> ConsumerConfiguration {
        var handlers = EventHandlers()
        handlers.on(TestContracts.v1, handler)
        var configuration = ConsumerConfiguration(
            group: Self.group, topics: [Self.topic], handlers: handlers, registry: registry,
            database: database, kafka: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        configuration.retry = Self.retry
        configuration.batchSize = batchSize
        configuration.sessionTimeout = .seconds(6)
        configuration.initialBackoff = .milliseconds(100)
        configuration.maximumBackoff = .milliseconds(500)
        return configuration
    }

    /// Runs consumer runtimes for the duration of `body`, then stops them gracefully.
    func withRuntime<T>(
        _ configuration: ConsumerConfiguration,
        _ body: (ConsumerRuntime) async throws -> T
    ) async throws -> T {
        let runtime = try ConsumerRuntime(configuration: configuration)
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

    /// Publishes CloudEvents `test.event.v1` messages; returns their ids.
    @discardableResult
    /// Publishes events; all with `id` if given, else with `eventIDs[n]` if given, else fresh ids.
    func publish(_ events: [(key: String, seq: Int)], id: UUID? = nil, eventIDs: [UUID]? = nil) async throws -> [UUID] {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)))
        var ids: [UUID] = []
        let messages = events.enumerated().map { index, event -> KafkaProducerMessage in
            let envelope = EventEnvelope(
                id: id ?? eventIDs?[index] ?? UUID(), type: TestContracts.v1, source: "/tests/consumers", time: Date(),
                subject: event.key,
                correlationID: nil, causationID: nil, traceparent: nil)
            ids.append(envelope.id)
            return KafkaProducerMessage(
                topic: Self.topic, partition: nil, key: Array(event.key.utf8),
                value: TestContracts.data(key: event.key, seq: event.seq), headers: envelope.kafkaHeaders())
        }
        for result in await producer.sendBatch(messages) { _ = try result.get() }
        await producer.shutdown()
        return ids
    }

    /// Publishes a raw message to the main topic.
    func publishRaw(key: String, value: [UInt8]?, headers: [KafkaHeader]) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)))
        _ = try await producer.send(
            KafkaProducerMessage(
                topic: Self.topic, partition: nil, key: Array(key.utf8), value: value, headers: headers))
        await producer.shutdown()
    }

    /// Rows in `effects` per event id.
    func effectCounts() async throws -> [UUID: Int] {
        let connection = try await PostgresConnection.connect(configuration: database)
        defer { Task { await connection.close() } }
        var counts: [UUID: Int] = [:]
        for row in try await connection.query("SELECT event_id, count(*)::bigint FROM effects GROUP BY event_id") {
            counts[try row.decode(UUID.self, column: 0)] = Int(try row.decode(Int64.self, column: 1))
        }
        return counts
    }

    var deadLetters: TopicReader {
        TopicReader(
            bootstrapServers: broker.bootstrapServers, topic: RetryPolicy.deadLetterTopic(group: Self.group),
            partitions: 1)
    }
}
