import Contracts
import Foundation
import Kafka
import Logging
import Postgres

/// Order-preserving mode: per-key parking in the group's database.
///
/// When an event of key K fails (to a retry topic or the dead-letter topic), K is
/// blocked by it (`parked_keys`). Later events of K are parked (`parked_events`, in
/// arrival order) instead of applied. When the blocker succeeds — through a retry, or a
/// replay of its dead letter, which carries the same `ce_id` — the parked events are
/// applied in order in the same transaction. Discarding the blocker's dead letter
/// removes the `parked_keys` row; the runtime then releases the orphaned parked events.
struct ParkingLot: Sendable {
    let group: String
    let classifier: MessageClassifier
    let logger: Logger

    /// The blocked keys among `keys`, with their blocking event.
    func blockedKeys(_ keys: [String], on tx: PostgresConnection) async throws -> [String: UUID] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await tx.query(
            """
            SELECT partition_key, blocking_event FROM parked_keys
            WHERE consumer_group = \(group) AND partition_key = ANY(\(Array(Set(keys)))::text[])
            """)
        var blocked: [String: UUID] = [:]
        for row in rows { blocked[try row.decode(String.self, column: 0)] = try row.decode(UUID.self, column: 1) }
        return blocked
    }

    func block(key: String, by event: UUID, on tx: PostgresConnection) async throws {
        try await tx.execute(
            """
            INSERT INTO parked_keys (consumer_group, partition_key, blocking_event) VALUES (\(group), \(key), \(event))
            ON CONFLICT (consumer_group, partition_key) DO UPDATE SET blocking_event = EXCLUDED.blocking_event
            """)
    }

    func park(_ planned: PlannedEvent, on tx: PostgresConnection) async throws {
        let message = planned.message
        try await tx.execute(
            """
            INSERT INTO parked_events (consumer_group, partition_key, event_id, topic, kafka_partition, kafka_offset, headers, payload)
            VALUES (\(group), \(planned.event.key ?? ""), \(planned.event.envelope.id), \(message.topic),
                    \(message.partition), \(message.offset), \(PostgresJSON(StoredHeaders.encode(message.headers))), \(message.value))
            ON CONFLICT (consumer_group, event_id) DO NOTHING
            """)
    }

    struct Released {
        var handled = 0
        var failures: [BatchTransaction.Failure] = []
    }

    /// Unblocks `key` and applies its parked events in order with `handle`, stopping at the
    /// first failure, which blocks the key again.
    func release(
        key: String, on tx: PostgresConnection,
        handle: (PlannedEvent) async throws -> BatchTransaction.Failure?
    ) async throws -> Released {
        try await tx.execute("DELETE FROM parked_keys WHERE consumer_group = \(group) AND partition_key = \(key)")
        var released = Released()
        let rows = try await tx.query(
            """
            SELECT seq, topic, kafka_partition, kafka_offset, headers::text, payload FROM parked_events
            WHERE consumer_group = \(group) AND partition_key = \(key) ORDER BY seq
            """)
        for row in rows {
            let seq = try row.decode(Int64.self, column: 0)
            let message = KafkaConsumerMessage(
                topic: try row.decode(String.self, column: 1),
                partition: try row.decode(Int32.self, column: 2),
                offset: try row.decode(Int64.self, column: 3),
                key: Array(key.utf8),
                value: try row.decode([UInt8]?.self, column: 5),
                headers: try StoredHeaders.decode(try row.decode(String.self, column: 4)),
                timestamp: nil)
            guard case .handle(let event, let handler) = classifier.classify(message, now: .distantFuture) else {
                logger.error(
                    "a parked event no longer classifies as handleable; it stays parked",
                    metadata: ["group": "\(group)", "seq": "\(seq)"])
                try await block(key: key, by: RandomUUID.make(), on: tx)
                return released
            }
            try await tx.execute("DELETE FROM parked_events WHERE seq = \(seq)")
            let planned = PlannedEvent(event: event, handler: handler, message: message)
            if let failure = try await handle(planned) {
                released.failures.append(failure)
                try await block(key: key, by: event.envelope.id, on: tx)
                return released
            }
            released.handled += 1
        }
        return released
    }

    /// Keys with parked events but no blocker (its dead letter was discarded).
    func orphanedKeys(on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.query(
            """
            SELECT DISTINCT e.partition_key FROM parked_events e
            WHERE e.consumer_group = \(group) AND NOT EXISTS (
                SELECT 1 FROM parked_keys k WHERE k.consumer_group = e.consumer_group AND k.partition_key = e.partition_key)
            LIMIT 100
            """)
        return try rows.map { try $0.decode(String.self, column: 0) }
    }
}
