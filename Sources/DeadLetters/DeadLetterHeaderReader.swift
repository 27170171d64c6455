import Foundation
import Kafka

/// Reads the `dlq_*` headers of a consumed dead letter.
///
/// The only place in this target that knows the `dlq_*` header names: when `Consumers`
/// gains its own dead-letter encoder/decoder, this file is replaced by a call to it.
/// Unknown reasons are kept as strings.
enum DeadLetterHeaderReader {
    static let prefix = "dlq_"

    static func read(_ message: KafkaConsumerMessage) throws -> IncomingDeadLetter {
        func value(_ name: String) -> String? { message.headers.last { $0.key == name }?.stringValue }
        func required(_ name: String) throws -> String {
            guard let text = value(name), !text.isEmpty else {
                throw DeadLetterError(
                    code: .malformedDeadLetter,
                    message:
                        "\(message.topic)[\(message.partition)]@\(message.offset): header \(name) is missing; not a dead letter written by a Choreo consumer"
                )
            }
            return text
        }
        guard let partition = Int32(try required("dlq_original_partition")),
            let offset = Int64(try required("dlq_original_offset"))
        else {
            throw DeadLetterError(
                code: .malformedDeadLetter,
                message:
                    "\(message.topic)[\(message.partition)]@\(message.offset): dlq_original_partition/offset are not numbers"
            )
        }
        let failedAt =
            value("dlq_failed_at").flatMap {
                try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            }
            ?? value("dlq_failed_at").flatMap { try? Date($0, strategy: .iso8601) }
        return IncomingDeadLetter(
            group: try required("dlq_consumer_group"),
            originalTopic: try required("dlq_original_topic"), originalPartition: partition, originalOffset: offset,
            dlqTopic: message.topic, dlqPartition: message.partition, dlqOffset: message.offset,
            key: message.key, value: message.value, headers: message.headers,
            reason: try required("dlq_reason"), error: value("dlq_error") ?? "",
            attempts: value("dlq_attempts").flatMap { Int($0) } ?? 1,
            failedAt: failedAt ?? message.timestamp ?? Date())
    }

    /// Whether `key` is one of the dead-letter bookkeeping headers (not the event's own).
    static func isDeadLetterHeader(_ key: String) -> Bool { key.hasPrefix(prefix) }
}
