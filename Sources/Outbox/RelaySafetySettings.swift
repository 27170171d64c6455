import Foundation
import Kafka

/// The producer settings the relay's order and delivery guarantees rest on, and the check
/// that refuses a configuration weakening them (typed fields or raw librdkafka properties,
/// e.g. from `--kafka-property` or `CHOREO_KAFKA_*`). Nothing is silently overwritten: a
/// setting the relay needs is either left at a default the relay then sets, or refused.
enum RelaySafetySettings {
    /// Raw librdkafka properties the relay relies on (aliases included), with the values that
    /// keep its guarantees. Any other value is refused.
    static let protectedProperties: [(key: String, isSafe: @Sendable (String) -> Bool)] = [
        ("enable.idempotence", { $0 == "true" }),
        ("acks", { $0 == "all" || $0 == "-1" }),
        ("request.required.acks", { $0 == "all" || $0 == "-1" }),
        ("message.timeout.ms", { $0 == "0" }),
        ("delivery.timeout.ms", { $0 == "0" }),
        ("max.in.flight.requests.per.connection", { Int($0).map { (1...5).contains($0) } ?? false }),
        ("max.in.flight", { Int($0).map { (1...5).contains($0) } ?? false }),
        ("enable.gapless.guarantee", { $0 == "true" }),
    ]

    /// - Throws: `OutboxError.configuration` naming the first offending setting (never its value).
    static func check(_ producer: KafkaProducerConfiguration) throws {
        for (key, value) in producer.client.rawProperties {
            let name = key.lowercased().trimmingCharacters(in: .whitespaces)
            if let protected = protectedProperties.first(where: { $0.key == name }),
                !protected.isSafe(value.lowercased().trimmingCharacters(in: .whitespaces))
            {
                throw refusal("the Kafka property \(protected.key) would weaken the relay's delivery guarantees")
            }
        }
        if !producer.enableIdempotence {
            throw refusal("enableIdempotence must stay true for the relay")
        }
        if producer.acks != .all {
            throw refusal("acks must stay all for the relay")
        }
        if let timeout = producer.messageTimeout, timeout != .zero {
            throw refusal("messageTimeout must be unset or zero (infinite) for the relay")
        }
        if let inFlight = producer.maxInFlight, !(1...5).contains(inFlight) {
            throw refusal("maxInFlight must be between 1 and 5 for the relay's idempotent producer")
        }
    }

    /// Sets what `check` guarantees is either already so or left at its default.
    static func apply(to producer: inout KafkaProducerConfiguration) {
        producer.enableIdempotence = true
        producer.acks = .all
        producer.messageTimeout = .zero
        producer.client.rawProperties["enable.gapless.guarantee"] = "true"
    }

    private static func refusal(_ message: String) -> OutboxError {
        OutboxError(
            code: .configuration,
            message: "\(message) (it keeps delivery gap-free and in order per key; see docs/outbox.md)")
    }
}
