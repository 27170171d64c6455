import Consumers
import Contracts
import Foundation
import Postgres

extension DeadLetterStore {
    /// The header a replayed message carries: the audit entry of its replay.
    public static let replayIDHeader = "choreo_replay_id"
    /// The header a replayed message carries: how many times its record was replayed.
    public static let replayCountHeader = "choreo_replay_count"

    /// Stores `letters` in one transaction, each at most once; returns the ids of the new
    /// records. A dead letter of a replayed message is linked to the record it was replayed
    /// from and inherits its re-drive count. `rule` gives the group's re-drive rule for a
    /// reason: the new record is scheduled for a re-drive, or `held` when the chain reached
    /// the rule's limit.
    @discardableResult
    public func insert(
        _ letters: [IncomingDeadLetter], actor: String = "worker",
        rule: @Sendable (_ group: String, _ reason: String) -> RedriveRule? = { _, _ in nil }
    ) async throws -> [Int64] {
        guard !letters.isEmpty else { return [] }
        return try await pool.withConnection { connection in
            try await connection.withTransaction { tx in
                var inserted: [Int64] = []
                for letter in letters {
                    if let id = try await Self.insert(
                        letter, actor: actor, rule: rule(letter.group, letter.reason), on: tx)
                    {
                        inserted.append(id)
                    }
                }
                return inserted
            }
        }
    }

    private static func insert(
        _ letter: IncomingDeadLetter, actor: String, rule: RedriveRule?, on tx: PostgresConnection
    ) async throws -> Int64? {
        let parent = try await parentRecord(of: letter, on: tx)
        let redrives = parent?.redrives ?? 0
        let envelope = letter.envelope
        func raw(_ name: String) -> String? {
            letter.headers.last { $0.key == name }?.stringValue.map { String($0.prefix(256)) }
        }
        let type = envelope.map(\.type) ?? raw("ce_type").flatMap { EventType(parsing: $0) }
        var status = DeadLetterStatus.pending
        var nextRedrive: Date?
        var outcome = "stored"
        if let rule {
            if redrives >= rule.maxRedrives {
                status = .held
                outcome = "held: re-drive limit \(rule.maxRedrives) reached"
            } else {
                nextRedrive = letter.failedAt.addingTimeInterval(rule.delay.seconds)
                outcome = "stored; re-drive \(redrives + 1) of \(rule.maxRedrives) due"
            }
        }
        let rows = try await tx.query(
            """
            INSERT INTO dead_letters (consumer_group, original_topic, original_partition, original_offset, source_topic,
                dlq_topic, dlq_partition, dlq_offset, key, key_text, value, headers, event_id, event_type, event_version,
                event_time, reason, error, attempts, failed_at, status, parent_id, redrives, next_redrive_at)
            VALUES (\(letter.group), \(letter.originalTopic), \(letter.originalPartition), \(letter.originalOffset),
                \(parent?.sourceTopic ?? letter.originalTopic), \(letter.dlqTopic), \(letter.dlqPartition),
                \(letter.dlqOffset), \(letter.key.map { Data($0) }), \(letter.keyText), \(letter.value.map { Data($0) }),
                \(PostgresJSON(StoredHeaders.encode(letter.headers))),
                \(envelope.map { UUIDText.lowercased($0.id) } ?? raw("ce_id")), \(type?.name ?? raw("ce_type")),
                \(type?.version), \(envelope?.time), \(letter.reason), \(letter.error), \(letter.attempts),
                \(letter.failedAt), \(status.rawValue), \(parent?.id), \(redrives), \(nextRedrive))
            ON CONFLICT (consumer_group, original_topic, original_partition, original_offset) DO NOTHING
            RETURNING id
            """)
        guard let id = try rows.first?.decode(Int64.self, column: 0) else { return nil }
        var detail = JSONObject([
            ("dlqTopic", .string(letter.dlqTopic)), ("dlqPartition", .number(.int(Int64(letter.dlqPartition)))),
            ("dlqOffset", .number(.int(letter.dlqOffset))), ("reason", .string(letter.reason)),
        ])
        if let parent { detail["parentID"] = .number(.int(parent.id)) }
        _ = try await audit(id, actor: actor, action: "store", outcome: outcome, detail: detail, on: tx)
        return id
    }

    /// The record a replayed message came from: the `choreo_replay_id` header names an
    /// audit entry of a record of the same group.
    private static func parentRecord(of letter: IncomingDeadLetter, on tx: PostgresConnection) async throws
        -> (id: Int64, sourceTopic: String, redrives: Int)?
    {
        guard let text = letter.headers.last(where: { $0.key == replayIDHeader })?.stringValue,
            let auditID = Int64(text)
        else { return nil }
        let rows = try await tx.query(
            """
            SELECT d.id, d.source_topic, d.redrives FROM dead_letter_audit a JOIN dead_letters d ON d.id = a.record_id
            WHERE a.id = \(auditID) AND d.consumer_group = \(letter.group)
            """)
        guard let row = rows.first else { return nil }
        return (
            try row.decode(Int64.self, column: 0), try row.decode(String.self, column: 1),
            try row.decode(Int.self, column: 2)
        )
    }
}

extension Duration {
    /// In seconds, fractions included.
    var seconds: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
