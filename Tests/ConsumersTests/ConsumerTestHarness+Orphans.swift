import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Postgres

extension ConsumerTestHarness {
    /// Parked rows of key `key` for events `seqs` whose blocker is gone (no `parked_keys` row):
    /// orphans, which the runtime releases when it starts. Each is recorded as processed, as
    /// parking does.
    func parkOrphans(key: String, seqs: ClosedRange<Int>, on connection: PostgresConnection) async throws {
        for seq in seqs {
            let envelope = EventEnvelope(
                id: UUID(), type: TestContracts.v1, source: "/tests", time: Date(), subject: nil,
                correlationID: nil, causationID: nil, traceparent: nil)
            try await connection.execute(
                "INSERT INTO processed_events (consumer_group, event_id) VALUES (\(Self.group), \(envelope.id))")
            try await connection.execute(
                """
                INSERT INTO parked_events (consumer_group, partition_key, event_id, topic, kafka_partition, kafka_offset, headers, payload)
                VALUES (\(Self.group), \(key), \(envelope.id), \(Self.topic), \(0), \(Int64(seq)),
                        \(PostgresJSON(StoredHeaders.encode(envelope.kafkaHeaders()))), \(TestContracts.data(key: key, seq: seq)))
                """)
        }
    }
}
