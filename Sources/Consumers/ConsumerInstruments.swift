import Foundation
import Kafka
import Metrics
import Synchronization

/// A consumer group instance's swift-metrics instruments (`choreo_consumer_*`, label
/// `group`), recorded alongside `ConsumerMetrics`; docs/observability.md lists them.
/// Instances of one group in one process share the series (the counters add up).
final class ConsumerInstruments: Sendable {
    let group: String
    let consumed: Counter
    let applied: Counter
    let skippedDuplicates: Counter
    let skippedNotHandled: Counter
    let retried: Counter
    let parked: Counter
    let batches: Counter
    let transientFailures: Counter
    let publishRetries: Counter
    let producerRecreations: Counter
    let batchDuration: Timer
    let handlerDuration: Timer
    let parkedKeys: Gauge
    private let deadLettered = Mutex<[String: Counter]>([:])
    private let lag = Mutex<[KafkaTopicPartition: Gauge]>([:])

    init(group: String) {
        self.group = group
        let dimensions = [("group", group)]
        consumed = Counter(label: "choreo_consumer_consumed_total", dimensions: dimensions)
        applied = Counter(label: "choreo_consumer_applied_total", dimensions: dimensions)
        skippedDuplicates = Counter(label: "choreo_consumer_skipped_duplicates_total", dimensions: dimensions)
        skippedNotHandled = Counter(label: "choreo_consumer_skipped_not_handled_total", dimensions: dimensions)
        retried = Counter(label: "choreo_consumer_retried_total", dimensions: dimensions)
        parked = Counter(label: "choreo_consumer_parked_total", dimensions: dimensions)
        batches = Counter(label: "choreo_consumer_batches_total", dimensions: dimensions)
        transientFailures = Counter(label: "choreo_consumer_transient_failures_total", dimensions: dimensions)
        publishRetries = Counter(label: "choreo_consumer_publish_retries_total", dimensions: dimensions)
        producerRecreations = Counter(label: "choreo_consumer_producer_recreations_total", dimensions: dimensions)
        batchDuration = Timer(label: "choreo_consumer_batch_duration_seconds", dimensions: dimensions)
        handlerDuration = Timer(label: "choreo_consumer_handler_duration_seconds", dimensions: dimensions)
        parkedKeys = Gauge(label: "choreo_consumer_parked_keys", dimensions: dimensions)
    }

    /// Counts one dead letter delivered, by its `dlq_reason`.
    func deadLettered(reason: DeadLetterReason) {
        let counter = deadLettered.withLock { counters in
            if let counter = counters[reason.rawValue] { return counter }
            let counter = Counter(
                label: "choreo_consumer_dead_lettered_total",
                dimensions: [("group", group), ("reason", reason.rawValue)])
            counters[reason.rawValue] = counter
            return counter
        }
        counter.increment()
    }

    /// Records the lag of a partition: messages between its committed offset and its end.
    func recordLag(_ partition: KafkaTopicPartition, _ value: Int64) {
        let gauge = lag.withLock { gauges in
            if let gauge = gauges[partition] { return gauge }
            let gauge = Gauge(
                label: "choreo_consumer_lag",
                dimensions: [("group", group), ("topic", partition.topic), ("partition", "\(partition.partition)")])
            gauges[partition] = gauge
            return gauge
        }
        gauge.record(max(0, value))
    }

    /// Records how long `start` → now took on `timer`.
    static func record(_ timer: Timer, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
