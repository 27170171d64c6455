import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import Outbox
import Postgres
import ServiceLifecycle
import Services
import Synchronization
import Testing

/// A hosted service's clients against a scratch database and the embedded broker: one pool
/// and one consumers' producer for the relay and every consumer instance, closed last.
@Suite struct ServiceClientsTests {
    static let instances = 3
    static let partitions = 3

    struct Flaky: Error {}

    @Test func theRelayAndEveryInstanceShareOnePoolAndOneProducerAndTheClientsCloseLast() async throws {
        let group = uniqueGroupID("host-clients")
        let topic = uniqueTopicName("host-clients")
        let spec = try JSONDecoder().decode(
            ConsumerGroupSpec.self,
            from: Data(
                """
                {"group":"\(group)","service":"host-clients","topics":["\(topic)"],"handles":["test.event.v1"],
                 "instances":\(Self.instances),"batchSize":50,"retry":{"delays":["1m"]}}
                """.utf8))
        let topics = [
            (topic, Self.partitions), (RetryPolicy.retryTopic(group: group, delay: .seconds(60)), 1),
            (RetryPolicy.deadLetterTopic(group: group), 1), (RetryPolicy.replayTopic(group: group), 1),
        ]
        // Every event fails (a retriable error): each instance publishes a retry per event,
        // due after the test (so nothing is dead-lettered meanwhile).
        let service = ServiceDescription(
            name: "host-clients", migrations: [], handlers: [TestContracts.v1: { _, _ in throw Flaky() }])
        try await withScratchDatabase { scratch in
            try await withEmbeddedKafka(topics: topics) { cluster in
                var database = scratch
                let application = "choreo-host-\(UUID().uuidString.prefix(8).lowercased())"
                database.applicationName = application
                let environment = ServiceEnvironment(
                    registry: try TestContracts.registry(), routes: OutboxRoutes(), groups: [spec],
                    kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
                let host = try ServiceHost(service: service, environment: environment, database: database)
                let recorder = LogRecorder()
                var logger = Logger(label: "host-clients") { _ in RecordingLogHandler(recorder: recorder) }
                logger.logLevel = .info
                try await host.prepare(logger: logger)
                let hosted = try host.makeServices(logger: logger)
                #expect(hosted.consumers.count == Self.instances)
                let pool = hosted.clients.pool
                #expect(pool.maxConnections == 2 + Self.instances + ServiceClients.headroom)
                let serviceGroup = ServiceGroup(
                    configuration: .init(
                        services: hosted.ordered, gracefulShutdownSignals: [], logger: testLogger("host-group")))
                let running = Task { try await serviceGroup.run() }

                let admin = try await PostgresConnection.connect(configuration: scratch)
                func sessions() async throws -> Int {
                    try await admin.query(
                        "SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(application)"
                    ).first?.decode(Int.self, column: 0) ?? -1
                }
                do {
                    // Each instance owns one partition of the topic; the relay is active.
                    try await waitUntil(timeout: .seconds(60)) {
                        hosted.consumers.allSatisfy { $0.assignment.contains { $0.topic == topic } }
                            && hosted.relay.metrics.isActive
                    }
                    // The relay's lock session and work connection and one per instance, all
                    // from the one pool; nobody connects on the side.
                    try await waitUntil { try await sessions() == 2 + Self.instances }
                    #expect(pool.openConnections == 2 + Self.instances)
                    #expect(try await sessions() <= pool.maxConnections)
                    #expect(hosted.clients.producer.handlesCreated == 1)

                    try await publishOnePerPartition(cluster: cluster, topic: topic, seq: 1)
                    try await waitUntil { hosted.consumers.allSatisfy { $0.metrics.retried >= 1 } }
                    #expect(hosted.clients.producer.handlesCreated == 1)

                    // A fatal error on the one handle: replaced once, every instance publishes on.
                    try hosted.clients.producer._injectFatalError()
                    let before = hosted.consumers.map(\.metrics.retried)
                    try await publishOnePerPartition(cluster: cluster, topic: topic, seq: 2)
                    try await waitUntil {
                        zip(hosted.consumers, before).allSatisfy { consumer, retried in
                            consumer.metrics.retried > retried
                        }
                    }
                    // Some instance(s) got the fatal error; the handle was replaced once for all.
                    #expect(hosted.consumers.map(\.metrics.producerRecreations).reduce(0, +) >= 1)
                    #expect(hosted.clients.producer.handlesCreated == 2)
                    #expect(try await sessions() <= pool.maxConnections)
                    #expect(pool.openConnections == 2 + Self.instances)

                    // Graceful shutdown: consumers, then the relay, then the clients.
                    let shutdownStart = recorder.count
                    await serviceGroup.triggerGracefulShutdown()
                    try await running.value
                    let entries = recorder.entries.dropFirst(shutdownStart)
                    // librdkafka's own report of a group-coordinator request that timed out is
                    // left out: the embedded broker holds the members' JoinGroup while the group
                    // rebalances after the first instance leaves, and on a loaded machine that
                    // outlasted the request timeout once (REQTMOUT, then FAIL … timed out). It is
                    // the group's teardown, not our shutdown: everything else must be quiet.
                    let problems = entries.filter { $0.level >= .warning }.map(\.message).filter {
                        !($0.hasPrefix("librdkafka ") && $0.contains("GroupCoordinator")
                            && $0.lowercased().contains("timed out"))
                    }
                    #expect(problems.isEmpty, "\(problems)")
                    let consumersStopped = entries.indices.filter { entries[$0].message == "consumer stopped" }
                    let relayStopped = try #require(entries.firstIndex { $0.message == "outbox relay stopped" })
                    let clientsClosed = try #require(entries.firstIndex { $0.message == "service clients closed" })
                    #expect(consumersStopped.count == Self.instances)
                    #expect(consumersStopped.allSatisfy { $0 < relayStopped })
                    #expect(relayStopped < clientsClosed)
                    #expect(pool.openConnections == 0)
                    try await waitUntil { try await sessions() == 0 }
                } catch {
                    running.cancel()
                    _ = try? await running.value
                    await admin.close()
                    throw error
                }
                await admin.close()
            }
        }
    }

    /// One `test.event.v1` to each partition of `topic`.
    func publishOnePerPartition(cluster: EmbeddedKafkaCluster, topic: String, seq: Int) async throws {
        let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(cluster))
        let messages = (0..<Self.partitions).map { partition in
            let key = "key-\(partition)"
            let envelope = EventEnvelope(type: TestContracts.v1, source: "/tests/host", subject: key)
            return KafkaProducerMessage(
                topic: topic, partition: Int32(partition), key: Array(key.utf8),
                value: TestContracts.data(key: key, seq: seq), headers: envelope.kafkaHeaders())
        }
        let results = await producer.sendBatch(messages)
        await producer.shutdown()
        for result in results { _ = try result.get() }
    }
}

/// Every log entry, in order, for asserting what was logged and when.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
    }

    private let stored = Mutex<[Entry]>([])

    var entries: [Entry] { stored.withLock { $0 } }
    var count: Int { stored.withLock { $0.count } }

    func append(_ entry: Entry) { stored.withLock { $0.append(entry) } }
}

/// A log handler that hands every entry to a ``LogRecorder``.
struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.append(LogRecorder.Entry(level: event.level, message: event.message.description))
    }
}
