import Consumers
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
    /// Set on a cut-down dead letter: the value is only a prefix of the original.
    public var truncation: DeadLetter.Truncation?

    /// Reads a consumed dead letter through ``DeadLetter`` (the owner of the `dlq_*` format).
    /// - Throws: `DeadLetterError.malformedDeadLetter` when a required `dlq_*` header is
    ///   missing or malformed.
    public init(_ message: KafkaConsumerMessage) throws {
        guard let letter = DeadLetter(headers: message.headers) else {
            let missing = DeadLetter.Header.required.filter { name in !message.headers.contains { $0.key == name } }
            let problem =
                missing.isEmpty
                ? "a dlq_* header is malformed" : "header \(missing.joined(separator: ", ")) is missing"
            throw DeadLetterError(
                code: .malformedDeadLetter,
                message:
                    "\(message.topic)[\(message.partition)]@\(message.offset): \(problem); not a dead letter written by a Choreo consumer"
            )
        }
        self.init(
            group: letter.group, originalTopic: letter.originalTopic, originalPartition: letter.originalPartition,
            originalOffset: letter.originalOffset, dlqTopic: message.topic, dlqPartition: message.partition,
            dlqOffset: message.offset, key: message.key, value: message.value, headers: message.headers,
            reason: letter.reason.rawValue, error: letter.error, attempts: letter.attempts, failedAt: letter.failedAt,
            truncation: letter.truncation)
    }

    init(
        group: String, originalTopic: String, originalPartition: Int32, originalOffset: Int64, dlqTopic: String,
        dlqPartition: Int32, dlqOffset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader],
        reason: String, error: String, attempts: Int, failedAt: Date, truncation: DeadLetter.Truncation? = nil
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
        self.truncation = truncation
    }

    /// The CloudEvents attributes, when they decode (an `undecodable` dead letter may have none).
    public var envelope: EventEnvelope? { try? EventEnvelope(kafkaHeaders: headers) }

    /// The key as text, when it is UTF-8.
    public var keyText: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
}
