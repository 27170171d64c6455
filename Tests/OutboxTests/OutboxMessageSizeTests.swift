import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Outbox
import Postgres
import Testing

@Suite("Outbox message size: the writer refuses what the relay could never publish")
struct OutboxMessageSizeTests {
    /// A `test.event.v1` of key `key` whose Kafka message (data + key + headers) has exactly `total` bytes.
    static func event(key: String, totalMessageBytes total: Int, writer: OutboxWriter) throws -> OutboxEvent {
        let probe = try writer.prepare(
            OutboxEvent(type: OutboxTestHarness.eventType, key: key, data: TestContracts.data(key: "", seq: 1)))
        let headerBytes = probe.envelope.kafkaHeaders().reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) }
        let emptyData = TestContracts.data(key: "", seq: 1).count
        let pad = total - headerBytes - key.utf8.count - emptyData
        precondition(pad >= 0)
        let data = TestContracts.data(key: String(repeating: "x", count: pad), seq: 1)
        return OutboxEvent(type: OutboxTestHarness.eventType, key: key, data: data)
    }

    @Test("data under the limit whose headers and key push the message over it is refused as too-large")
    func headersCountTowardsTheLimit() async throws {
        try await OutboxTestHarness.with { harness in
            let over = try Self.event(key: "big", totalMessageBytes: 1_000_001, writer: harness.writer)
            #expect(over.data.count < 1_000_000, "the data alone is under the limit")
            do {
                _ = try harness.writer.prepare(over)
                Issue.record("a message over message.max.bytes was accepted")
            } catch let error as OutboxError {
                #expect(error.code == .tooLarge)
                #expect(error.description.contains("1000001"))
                #expect(!error.description.contains("xxxx"), "no payload in the error")
            }
            #expect(try await harness.pendingCount() == 0)
        }
    }

    @Test("a message of exactly the limit is accepted, and the relay publishes exactly the validated bytes")
    func exactBytesPublished() async throws {
        try await OutboxTestHarness.with { harness in
            let atLimit = try Self.event(key: "edge", totalMessageBytes: 1_000_000, writer: harness.writer)
            // Compact JSON, key order b-a, an escaped slash: jsonb would re-serialise all three.
            let exotic = Array(#"{"seq":2,"key":"ex\/otic"}"#.utf8)
            let connection = try await harness.connect()
            try await connection.withTransaction { tx in
                try await harness.writer.append(atLimit, on: tx)
                try await harness.writer.append(
                    OutboxEvent(type: OutboxTestHarness.eventType, key: "exotic", data: exotic), on: tx)
            }
            await connection.close()
            try await harness.withRelay { relay in
                let messages = try await harness.reader.read(count: 2, timeout: .seconds(60))
                let byKey = Dictionary(messages.map { ($0.keyString ?? "", $0) }) { first, _ in first }
                #expect(byKey["exotic"]?.value == exotic)
                #expect(byKey["edge"]?.value == atLimit.data)
                try await waitUntil { try await harness.pendingCount() == 0 }
                #expect(relay.metrics.blockedKeys.isEmpty)
            }
        }
    }

    @Test("the payload column migration keeps existing rows and makes payload json")
    func migrationOnExistingTable() async throws {
        try await withScratchDatabase { database in
            let connection = try await PostgresConnection.connect(configuration: database)
            defer { Task { await connection.close() } }
            // The table as the first migration created it, with a pending row.
            let first = try #require(OutboxSchema.standard.migrations.first)
            _ = try await Migrator(migrations: [first]).migrate(on: connection)
            try await connection.execute(
                """
                INSERT INTO outbox (event_id, topic, partition_key, event_type, payload)
                VALUES (gen_random_uuid(), 't', 'k', 'test.event.v1', '{"key":"k","seq":1}')
                """)
            try await OutboxSchema.standard.install(on: connection)
            let rows = try await connection.query(
                "SELECT payload::text, pg_typeof(payload)::text FROM outbox")
            let row = try #require(rows.first)
            #expect(try row.decode(String.self, column: 0) == #"{"key": "k", "seq": 1}"#)
            #expect(try row.decode(String.self, column: 1) == "json")
            let blocked = try await connection.query("SELECT count(*)::bigint FROM outbox_blocked")
            #expect(try #require(blocked.first).decode(Int64.self, column: 0) == 0)
        }
    }
}
