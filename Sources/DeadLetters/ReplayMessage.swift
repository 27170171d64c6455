import Foundation
import Kafka

/// The message a replay publishes: the dead letter's key, value (or edited data) and its
/// event headers (`ce_id`, correlation id, `traceparent` and the rest kept), without the
/// `dlq_*`/`retry_*` bookkeeping and earlier replay marks, plus `choreo_replay_id` (the
/// audit entry of this replay) and `choreo_replay_count`.
enum ReplayMessage {
    static func make(
        _ record: DeadLetterRecord, topic: String, replayID: Int64, data: [UInt8]?
    ) -> KafkaProducerMessage {
        let replayHeaders: Set<String> = [DeadLetterStore.replayIDHeader, DeadLetterStore.replayCountHeader]
        var headers = record.eventHeaders.filter { !$0.key.hasPrefix("retry_") && !replayHeaders.contains($0.key) }
        headers.append(KafkaHeader(key: DeadLetterStore.replayIDHeader, string: String(replayID)))
        headers.append(KafkaHeader(key: DeadLetterStore.replayCountHeader, string: String(record.replayCount + 1)))
        return KafkaProducerMessage(
            topic: topic, partition: nil, key: record.key, value: data ?? record.value, headers: headers)
    }
}
