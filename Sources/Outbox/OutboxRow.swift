import Contracts
import Foundation
import Kafka

/// One pending row read by the relay.
struct OutboxRow: Sendable {
    var id: Int64
    var eventID: UUID
    var topic: String
    var key: String?
    var eventType: String
    var headersText: String
    var payload: String
    var createdAt: Date

    /// The Kafka message for this row. Required CloudEvents attributes a foreign writer
    /// left out of `headers` are filled from the columns (`ce_id`, `ce_type`, `ce_time`,
    /// `ce_specversion`, `content-type`) and from the relay's `source`.
    func message(defaultSource: String) throws -> KafkaProducerMessage {
        var headers = try OutboxHeaders.decode(headersText)
        var present = Set(headers.map(\.key))
        func fill(_ key: String, _ value: @autoclosure () -> String) {
            guard !present.contains(key) else { return }
            headers.append(KafkaHeader(key: key, string: value()))
            present.insert(key)
        }
        fill("ce_specversion", "1.0")
        fill("ce_id", UUIDText.lowercased(eventID))
        fill("ce_type", eventType)
        fill("ce_source", defaultSource)
        fill("ce_time", RFC3339.string(from: createdAt))
        fill("content-type", "application/json")
        return KafkaProducerMessage(
            topic: topic,
            partition: nil,
            key: key.map { Array($0.utf8) },
            value: Array(payload.utf8),
            headers: headers
        )
    }
}

/// RFC 3339 timestamps in UTC with millisecond precision.
enum RFC3339 {
    static func string(from date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
