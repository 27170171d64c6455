import Contracts
import Foundation
import Kafka
import Outbox
import Postgres

/// Order-preserving mode: per-key parking in the group's database.
///
/// When an event of key K fails (to a retry topic or the dead-letter topic), or is
/// dead-lettered by the classifier, K is blocked by it (`parked_keys`). Later events of K
/// are parked (`parked_events`, in arrival order) instead of applied. When the blocker
/// succeeds — through a retry, or a replay of its dead letter, which carries the same
/// `ce_id` — the parked events are applied in order in the same transaction. If one of
/// them fails, it becomes K's blocker in that same transaction and its retry is recorded
/// in `parked_publications`, which the runtime publishes and deletes only once delivered:
/// no crash or failed publish can lose it. ``ParkedKeys/release(group:key:blockingEvent:on:)``
/// removes a blocker (its dead letter was discarded); the runtime then applies the
/// orphaned parked events. A key with parked events but no blocker still parks new events,
/// so they cannot overtake the orphans.
///
/// Concurrency: `blockedKeys` reads the blockers `FOR SHARE`, so a release (which updates
/// or deletes the blocker row) waits for a transaction that is parking behind it, and sees
/// what it parked; a release locks the key's parked rows `FOR UPDATE` and checks every
/// delete, so two instances never apply the same parked event.
///
/// Storage only: it knows the tables, not the handlers. Deciding to park, block and
/// release is ``ParkLayer``'s, applying released events the batch transaction's
/// (`BatchTransaction+Release.swift`).
struct ParkingLot: Sendable {
    let group: String

    /// The blocker of keys that have parked events but no blocker row: it matches no event.
    static let orphanBlocker = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// The blocked keys among `keys`, with their blocking event (``orphanBlocker`` for keys
    /// whose parked events wait for the orphan release). Locks the blocker rows `FOR SHARE`.
    func blockedKeys(_ keys: [String], on tx: PostgresConnection) async throws -> [String: UUID] {
        guard !keys.isEmpty else { return [:] }
        let distinct = Array(Set(keys)).sorted()
        let rows = try await tx.query(
            """
            SELECT partition_key, blocking_event FROM parked_keys
            WHERE consumer_group = \(group) AND partition_key = ANY(\(distinct)::text[])
            ORDER BY partition_key FOR SHARE
            """)
        var blocked: [String: UUID] = [:]
        for row in rows { blocked[try row.decode(String.self, column: 0)] = try row.decode(UUID.self, column: 1) }
        let unblocked = distinct.filter { blocked[$0] == nil }
        guard !unblocked.isEmpty else { return blocked }
        let orphans = try await tx.query(
            """
            SELECT DISTINCT partition_key FROM parked_events
            WHERE consumer_group = \(group) AND partition_key = ANY(\(unblocked)::text[])
            """)
        for row in orphans { blocked[try row.decode(String.self, column: 0)] = Self.orphanBlocker }
        return blocked
    }

    /// Makes `event` the blocker of `key` (replacing any other).
    func block(key: String, by event: UUID, on tx: PostgresConnection) async throws {
        try await tx.execute(
            """
            INSERT INTO parked_keys (consumer_group, partition_key, blocking_event) VALUES (\(group), \(key), \(event))
            ON CONFLICT (consumer_group, partition_key) DO UPDATE SET blocking_event = EXCLUDED.blocking_event
            """)
    }

    /// Blocks `key` by a dead-lettered `event`, unless it is blocked already (the earlier
    /// blocker keeps its place).
    func blockIfFree(key: String, by event: UUID, on tx: PostgresConnection) async throws {
        try await tx.execute(
            """
            INSERT INTO parked_keys (consumer_group, partition_key, blocking_event) VALUES (\(group), \(key), \(event))
            ON CONFLICT (consumer_group, partition_key) DO NOTHING
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

    /// Records, in the transaction that made `failure`'s event its key's blocker, that its
    /// retry (or dead letter) must be published; the runtime deletes the row once delivered.
    func recordPublication(_ failure: HandlerFailure, on tx: PostgresConnection) async throws {
        let message = failure.planned.message
        let error = RetryHeaders.bounded(failure.error).replacingOccurrences(of: "\u{0}", with: "")
        try await tx.execute(
            """
            INSERT INTO parked_publications (consumer_group, event_id, topic, kafka_partition, kafka_offset, message_key,
                headers, payload, attempt, error, permanent)
            VALUES (\(group), \(failure.planned.event.envelope.id), \(message.topic), \(message.partition), \(message.offset),
                    \(message.key), \(PostgresJSON(StoredHeaders.encode(message.headers))), \(message.value),
                    \(failure.planned.event.attempt), \(error), \(failure.isPermanent))
            """)
    }

    /// Whether `key` has a blocker row now; locks it `FOR SHARE` (an orphan release checks
    /// under lock that no blocker appeared meanwhile).
    func hasBlocker(key: String, on tx: PostgresConnection) async throws -> Bool {
        let rows = try await tx.query(
            "SELECT 1 FROM parked_keys WHERE consumer_group = \(group) AND partition_key = \(key) FOR SHARE")
        return !rows.isEmpty
    }

    /// A parked event as stored: its row and the message it was read as.
    struct Parked: Sendable {
        var seq: Int64
        var message: KafkaConsumerMessage
    }

    /// `key`'s parked events in arrival order, locked `FOR UPDATE`.
    func parkedEvents(key: String, on tx: PostgresConnection) async throws -> [Parked] {
        let rows = try await tx.query(
            """
            SELECT seq, topic, kafka_partition, kafka_offset, headers::text, payload FROM parked_events
            WHERE consumer_group = \(group) AND partition_key = \(key) ORDER BY seq FOR UPDATE
            """)
        return try rows.map { row in
            Parked(
                seq: try row.decode(Int64.self, column: 0),
                message: KafkaConsumerMessage(
                    topic: try row.decode(String.self, column: 1),
                    partition: try row.decode(Int32.self, column: 2),
                    offset: try row.decode(Int64.self, column: 3),
                    key: Array(key.utf8),
                    value: try row.decode([UInt8]?.self, column: 5),
                    headers: try StoredHeaders.decode(try row.decode(String.self, column: 4)),
                    timestamp: nil))
        }
    }

    /// Deletes one parked event; `false` when another release took it first.
    func deleteParked(seq: Int64, on tx: PostgresConnection) async throws -> Bool {
        try await tx.execute("DELETE FROM parked_events WHERE seq = \(seq)") == 1
    }

    /// Removes `key`'s blocker row if `blocker` still holds it (all its parked events applied).
    func unblock(key: String, blocker: UUID, on tx: PostgresConnection) async throws {
        try await tx.execute(
            """
            DELETE FROM parked_keys WHERE consumer_group = \(group) AND partition_key = \(key)
            AND blocking_event = \(blocker)
            """)
    }

    /// How many keys of the group are blocked now (`choreo_consumer_parked_keys`).
    func blockedKeyCount(on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            "SELECT count(*) FROM parked_keys WHERE consumer_group = \(group)")
        return Int(try rows.first?.decode(Int64.self, column: 0) ?? 0)
    }

    /// Keys with parked events but no blocker (it was released or its dead letter discarded).
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

    /// A recorded publication, ready to route.
    struct Publication: Sendable {
        var seq: Int64
        var message: KafkaConsumerMessage
        var attempt: Int
        var error: String
        var isPermanent: Bool
    }

    /// The oldest recorded publications of the group.
    func publications(on connection: PostgresConnection, limit: Int = 100) async throws -> [Publication] {
        let rows = try await connection.query(
            """
            SELECT seq, topic, kafka_partition, kafka_offset, message_key, headers::text, payload, attempt, error, permanent
            FROM parked_publications WHERE consumer_group = \(group) ORDER BY seq LIMIT \(limit)
            """)
        return try rows.map { row in
            Publication(
                seq: try row.decode(Int64.self, column: 0),
                message: KafkaConsumerMessage(
                    topic: try row.decode(String.self, column: 1), partition: try row.decode(Int32.self, column: 2),
                    offset: try row.decode(Int64.self, column: 3), key: try row.decode([UInt8]?.self, column: 4),
                    value: try row.decode([UInt8]?.self, column: 6),
                    headers: try StoredHeaders.decode(try row.decode(String.self, column: 5)), timestamp: nil),
                attempt: Int(try row.decode(Int32.self, column: 7)), error: try row.decode(String.self, column: 8),
                isPermanent: try row.decode(Bool.self, column: 9))
        }
    }

    /// Deletes delivered publications.
    func deletePublications(_ seqs: [Int64], on connection: PostgresConnection) async throws {
        guard !seqs.isEmpty else { return }
        try await connection.execute(
            "DELETE FROM parked_publications WHERE consumer_group = \(group) AND seq = ANY(\(seqs)::bigint[])")
    }
}

extension ParkingLot {
    /// The key as parking stores it: valid UTF-8 without NUL bytes, else `nil` (not parked).
    static func usableKey(_ key: [UInt8]?) -> String? {
        guard let key, !key.contains(0) else { return nil }
        return String(validating: key, as: UTF8.self)
    }

    /// The blocker id of a dead-lettered message without a readable `ce_id`: derived from
    /// where it was read, so a redelivery blocks with the same id.
    static func blockerID(for message: KafkaConsumerMessage) -> UUID {
        let hex = Array(ContractLock.sha256Hex(Array("\(message.topic)/\(message.partition)/\(message.offset)".utf8)))
        var bytes = (0..<16).map { index -> UInt8 in
            UInt8(String(hex[(index * 2)..<(index * 2 + 2)]), radix: 16) ?? 0
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
