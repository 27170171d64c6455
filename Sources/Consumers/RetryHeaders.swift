import Foundation
import Kafka

/// Headers the runtime adds when it republishes an event to a retry topic, and the
/// `dlq_*` headers of dead letters.
enum RetryHeaders {
    static let attempt = "retry_attempt"
    static let dueAt = "retry_due_at"
    static let originalTopic = "retry_original_topic"
    static let originalPartition = "retry_original_partition"
    static let originalOffset = "retry_original_offset"
    static let lastError = "retry_last_error"

    /// The largest `dlq_error` / `retry_last_error` kept, in bytes.
    static let maxErrorBytes = 1_024

    /// Everything but our own bookkeeping headers, in order: what a retry or dead letter keeps.
    static func original(_ headers: [KafkaHeader]) -> [KafkaHeader] {
        headers.filter { !$0.key.hasPrefix("retry_") && !$0.key.hasPrefix("dlq_") }
    }

    static func value(_ key: String, in headers: [KafkaHeader]) -> String? {
        headers.last { $0.key == key }?.stringValue
    }

    /// The bounded, single-line form of an error for a header.
    static func bounded(_ error: String) -> String {
        var text = error.replacingOccurrences(of: "\n", with: " ")
        if text.utf8.count > maxErrorBytes {
            text = String(decoding: text.utf8.prefix(maxErrorBytes - 3), as: UTF8.self) + "..."
        }
        return text
    }

    static func epochMilliseconds(_ date: Date) -> String { String(Int64(date.timeIntervalSince1970 * 1000)) }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Where a message came from before any retry topic.
struct MessageOrigin: Sendable, Equatable {
    var topic: String
    var partition: Int32
    var offset: Int64
    /// The attempt this delivery is (1 = first).
    var attempt: Int
    /// For a retry delivery: when it is due.
    var dueAt: Date?

    /// Retry headers are trusted only on messages read from one of the group's own retry
    /// topics (`retryDelay` is that topic's delay), so a producer cannot fake attempts or
    /// origins on a main topic; and `retry_due_at` is capped at `now` + the topic's delay, so
    /// a forged due time cannot hold a retry partition longer than its delay.
    init(_ message: KafkaConsumerMessage, retryDelay: Duration?, now: Date = Date()) {
        let headers = message.headers
        if let retryDelay, let topic = RetryHeaders.value(RetryHeaders.originalTopic, in: headers),
            let partition = RetryHeaders.value(RetryHeaders.originalPartition, in: headers).flatMap({ Int32($0) }),
            let offset = RetryHeaders.value(RetryHeaders.originalOffset, in: headers).flatMap({ Int64($0) }),
            let attempt = RetryHeaders.value(RetryHeaders.attempt, in: headers).flatMap({ Int($0) }), attempt >= 1
        {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.attempt = attempt
            let latest = now.addingTimeInterval(retryDelay.timeInterval)
            self.dueAt = RetryHeaders.value(RetryHeaders.dueAt, in: headers)
                .flatMap { Int64($0) }
                .map { min(Date(timeIntervalSince1970: Double($0) / 1000), latest) }
        } else {
            self.topic = message.topic
            self.partition = message.partition
            self.offset = message.offset
            self.attempt = 1
            self.dueAt = nil
        }
    }
}
