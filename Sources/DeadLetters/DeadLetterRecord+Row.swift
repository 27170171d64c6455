import Consumers
import Foundation
import Postgres

extension DeadLetterRecord {
    /// The columns `init(row:)` reads, in order.
    static let columns = """
        id, consumer_group, original_topic, original_partition, original_offset, source_topic, dlq_topic,
        dlq_partition, dlq_offset, key, value, headers::text, event_id, event_type, event_version, event_time,
        reason, error, attempts, failed_at, status, replay_count, parent_id, redrives, next_redrive_at, updated_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(Int64.self, column: 0)
        group = try row.decode(String.self, column: 1)
        originalTopic = try row.decode(String.self, column: 2)
        originalPartition = try row.decode(Int32.self, column: 3)
        originalOffset = try row.decode(Int64.self, column: 4)
        sourceTopic = try row.decode(String.self, column: 5)
        dlqTopic = try row.decode(String.self, column: 6)
        dlqPartition = try row.decode(Int32.self, column: 7)
        dlqOffset = try row.decode(Int64.self, column: 8)
        key = try row.decode([UInt8]?.self, column: 9)
        value = try row.decode([UInt8]?.self, column: 10)
        headers = try StoredHeaders.decode(try row.decode(String.self, column: 11))
        eventID = try row.decode(String?.self, column: 12)
        eventType = try row.decode(String?.self, column: 13)
        eventVersion = try row.decode(Int?.self, column: 14)
        eventTime = try row.decode(Date?.self, column: 15)
        reason = try row.decode(String.self, column: 16)
        error = try row.decode(String.self, column: 17)
        attempts = try row.decode(Int.self, column: 18)
        failedAt = try row.decode(Date.self, column: 19)
        status = DeadLetterStatus(try row.decode(String.self, column: 20))
        replayCount = try row.decode(Int.self, column: 21)
        parentID = try row.decode(Int64?.self, column: 22)
        redrives = try row.decode(Int.self, column: 23)
        nextRedriveAt = try row.decode(Date?.self, column: 24)
        updatedAt = try row.decode(Date.self, column: 25)
    }
}

extension DeadLetterAuditEntry {
    static let columns = "id, record_id, at, actor, action, outcome, detail::text"

    init(row: PostgresRow) throws {
        id = try row.decode(Int64.self, column: 0)
        recordID = try row.decode(Int64.self, column: 1)
        at = try row.decode(Date.self, column: 2)
        actor = try row.decode(String.self, column: 3)
        action = try row.decode(String.self, column: 4)
        outcome = try row.decode(String.self, column: 5)
        detail = try row.decode(String.self, column: 6)
    }
}
