import Kafka

/// The metrics layer around one batch: counts the messages polled
/// (`choreo_consumer_consumed_total`) as the batch starts and, once it has committed its
/// offsets, the batch (`choreo_consumer_batches_total`), its duration
/// (`choreo_consumer_batch_duration_seconds`) and the lag of each partition it committed
/// (`choreo_consumer_lag`). A batch retried in place after a transient failure counts its
/// messages again (the counter says "redeliveries included") and is timed only when it
/// completes.
struct BatchMetricsLayer: Sendable {
    let instruments: ConsumerInstruments

    func around(
        _ messages: [KafkaConsumerMessage], consumer: KafkaConsumer,
        _ batch: () async throws -> [KafkaTopicPartitionOffset]
    ) async throws -> [KafkaTopicPartitionOffset] {
        let started = ContinuousClock.now
        instruments.consumed.increment(by: messages.count)
        let offsets = try await batch()
        instruments.batches.increment()
        for offset in offsets {
            let partition = KafkaTopicPartition(topic: offset.topic, partition: offset.partition)
            if let high = consumer.cachedHighWatermark(partition) {
                instruments.recordLag(partition, high - offset.offset)
            }
        }
        ConsumerInstruments.record(instruments.batchDuration, since: started)
        return offsets
    }
}
