import Contracts
import Foundation
import Kafka

/// A dead letter as read from a `*.dlq` topic, before it is stored.
public struct IncomingDeadLetter: Sendable, Equatable {
    public var group: String
    public var originalTopic: String
    public var originalPartition: Int32
    public var originalOffset: Int64
    public var dlqTopic: String
    public var dlqPartition: Int32
    public var dlqOffset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Every header of the dead letter, `dlq_*` included, in order.
    public var headers: [KafkaHeader]
    /// `dlq_reason`; unknown reasons are kept as they are.
    public var reason: String
    public var error: String
    public var attempts: Int
    public var failedAt: Date

    /// Reads a consumed dead letter.
    /// - Throws: `DeadLetterError.malformedDeadLetter` when a required `dlq_*` header is missing.
    public init(_ message: KafkaConsumerMessage) throws {
        self = try DeadLetterHeaderReader.read(message)
    }

    init(
        group: String, originalTopic: String, originalPartition: Int32, originalOffset: Int64, dlqTopic: String,
        dlqPartition: Int32, dlqOffset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader],
        reason: String, error: String, attempts: Int, failedAt: Date
    ) {
        self.group = group
        self.originalTopic = originalTopic
        self.originalPartition = originalPartition
        self.originalOffset = originalOffset
        self.dlqTopic = dlqTopic
        self.dlqPartition = dlqPartition
        self.dlqOffset = dlqOffset
        self.key = key
        self.value = value
        self.headers = headers
        self.reason = reason
        self.error = error
        self.attempts = attempts
        self.failedAt = failedAt
    }

    /// The CloudEvents attributes, when they decode (an `undecodable` dead letter may have none).
    public var envelope: EventEnvelope? { try? EventEnvelope(kafkaHeaders: headers) }

    /// The key as text, when it is UTF-8.
    public var keyText: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
}
