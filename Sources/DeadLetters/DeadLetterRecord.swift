import Consumers
import Contracts
import Foundation
import Kafka

/// One stored dead letter.
public struct DeadLetterRecord: Sendable, Equatable {
    public var id: Int64
    public var group: String
    public var originalTopic: String
    public var originalPartition: Int32
    public var originalOffset: Int64
    /// The topic the event was first published to: the original topic, or for a replayed
    /// event that failed again, its first record's.
    public var sourceTopic: String
    public var dlqTopic: String
    public var dlqPartition: Int32
    public var dlqOffset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// `ce_id`, `ce_type` name and version, `ce_time`, when present.
    public var eventID: String?
    public var eventType: String?
    public var eventVersion: Int?
    public var eventTime: Date?
    public var reason: String
    public var error: String
    public var attempts: Int
    public var failedAt: Date
    public var status: DeadLetterStatus
    public var replayCount: Int
    /// The record whose replay failed again into this one.
    public var parentID: Int64?
    /// Automatic re-drives so far along the chain of records.
    public var redrives: Int
    public var nextRedriveAt: Date?
    public var updatedAt: Date

    /// The key as text, when it is UTF-8.
    public var keyText: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }

    /// `order.placed.v1`, when type and version are known.
    public var fullType: EventType? {
        guard let eventType, let eventVersion else { return nil }
        return EventType(name: eventType, version: eventVersion)
    }

    /// The headers of the event itself: without the `dlq_*` bookkeeping.
    public var eventHeaders: [KafkaHeader] { headers.filter { !$0.key.hasPrefix(DeadLetter.Header.prefix) } }

    /// The `dlq_*` headers, read by ``DeadLetter``; `nil` when they do not decode.
    public var deadLetter: DeadLetter? { DeadLetter(headers: headers) }

    /// Set when the stored value is only a prefix of the original (a cut-down dead letter):
    /// the original's size and SHA-256.
    public var truncation: DeadLetter.Truncation? { deadLetter?.truncation }
}

/// One action on a record: who, when, what, and how it ended.
public struct DeadLetterAuditEntry: Sendable, Equatable {
    public var id: Int64
    public var recordID: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var outcome: String
    /// A JSON object (text).
    public var detail: String
}
