import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Logging
import Outbox
import Postgres
import Testing

/// A scratch database with the outbox installed, an embedded broker with the test topic,
/// and a writer for `test.event.v1` — what every outbox test starts from.
struct OutboxTestHarness: Sendable {
    static let topic = "outbox.test.events"
    static let partitions = 3
    static let eventType = EventType(name: "test.event", version: 1)

    let broker: EmbeddedKafkaCluster
    let database: PostgresConfiguration
    let writer: OutboxWriter

    static func with<T>(brokers: Int = 1, _ body: (OutboxTestHarness) async throws -> T) async throws -> T {
        try await withEmbeddedKafka(brokers: brokers, topics: [(topic, partitions)]) { broker in
            try await withScratchDatabase { database in
                let connection = try await PostgresConnection.connect(configuration: database)
                try await OutboxSchema.standard.install(on: connection)
                try await connection.simpleQuery(
                    "CREATE TABLE aggregates (id text PRIMARY KEY, version bigint NOT NULL DEFAULT 0)")
                await connection.close()
                let harness = OutboxTestHarness(
                    broker: broker, database: database,
                    writer: OutboxWriter(
                        registry: try testRegistry(), source: "/tests/outbox",
                        routes: OutboxRoutes([eventType.name: topic])))
                return try await body(harness)
            }
        }
    }

    static func testRegistry() throws -> ContractRegistry { try TestContracts.registry() }

    func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: database)
    }

    /// One event of `key` with sequence number `seq`.
    func event(key: String, seq: Int) -> OutboxEvent {
        OutboxEvent(type: Self.eventType, key: key, data: TestContracts.data(key: key, seq: seq))
    }

    /// In one transaction: bump the aggregate `key` (locking it) and append its next event.
    @discardableResult
    func writeNext(key: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.withTransaction { tx in
            let rows = try await tx.query(
                """
                INSERT INTO aggregates (id, version) VALUES (\(key), 1)
                ON CONFLICT (id) DO UPDATE SET version = aggregates.version + 1 RETURNING version
                """)
            let version = Int(try #require(rows.first).decode(Int64.self, column: 0))
            try await writer.append(event(key: key, seq: version), on: tx)
            return version
        }
    }

    func relayConfiguration() throws -> OutboxRelayConfiguration {
        var configuration = try OutboxRelayConfiguration(
            producer: KafkaProducerConfiguration(client: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)))
        configuration.metricsInterval = nil
        configuration.initialBackoff = .milliseconds(50)
        configuration.maximumBackoff = .milliseconds(500)
        configuration.shutdownGracePeriod = .seconds(2)
        return configuration
    }

    /// Runs a relay for the duration of `body`, then stops it gracefully.
    func withRelay<T>(
        _ configuration: OutboxRelayConfiguration? = nil,
        _ body: (OutboxRelay) async throws -> T
    ) async throws -> T {
        let relay = try OutboxRelay(database: database, configuration: configuration ?? relayConfiguration())
        let task = Task { try await relay.run() }
        do {
            let result = try await body(relay)
            relay.requestStop()
            try await task.value
            return result
        } catch {
            relay.requestStop()
            _ = try? await task.value
            throw error
        }
    }

    var reader: TopicReader {
        TopicReader(bootstrapServers: broker.bootstrapServers, topic: Self.topic, partitions: Self.partitions)
    }

    /// Pending rows in the outbox.
    func pendingCount() async throws -> Int {
        let connection = try await connect()
        defer { Task { await connection.close() } }
        let rows = try await connection.query("SELECT count(*)::bigint FROM outbox WHERE delivered_at IS NULL")
        return Int(try #require(rows.first).decode(Int64.self, column: 0))
    }
}

/// What arrived on the topic, as (key, seq, ce_id) in arrival order.
struct Arrival: Hashable, Sendable {
    var key: String
    var seq: Int
    var id: String

    init?(_ message: KafkaConsumerMessage) {
        guard let value = message.value,
            let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any],
            let key = object["key"] as? String, let seq = object["seq"] as? Int,
            let id = message.header("ce_id")
        else { return nil }
        self.key = key
        self.seq = seq
        self.id = id
    }
}

enum ArrivalCheck {
    /// Asserts: every expected (key, seq) arrived; duplicates are only repeats of an earlier
    /// arrival with the same `ce_id`; per key, first arrivals are in sequence order.
    static func assertComplete(
        _ messages: [KafkaConsumerMessage], expected: [String: Int],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let arrivals = messages.compactMap(Arrival.init)
        #expect(arrivals.count == messages.count, "every message decodes", sourceLocation: sourceLocation)
        var firstSeen: [String: [Int]] = [:]
        var idsByEvent: [String: String] = [:]
        for arrival in arrivals {
            let event = "\(arrival.key)#\(arrival.seq)"
            if let id = idsByEvent[event] {
                #expect(id == arrival.id, "a duplicate repeats the same ce_id", sourceLocation: sourceLocation)
                continue
            }
            idsByEvent[event] = arrival.id
            firstSeen[arrival.key, default: []].append(arrival.seq)
        }
        for (key, count) in expected {
            #expect(
                firstSeen[key] == Array(1...count), "key \(key): first arrivals in order, none missing",
                sourceLocation: sourceLocation)
        }
        #expect(Set(firstSeen.keys) == Set(expected.keys), sourceLocation: sourceLocation)
    }

    static func isComplete(_ messages: [KafkaConsumerMessage], expected: [String: Int]) -> Bool {
        var seen: Set<String> = []
        for message in messages { if let arrival = Arrival(message) { seen.insert("\(arrival.key)#\(arrival.seq)") } }
        return seen.count >= expected.values.reduce(0, +)
    }
}
