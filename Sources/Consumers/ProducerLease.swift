import Kafka

/// One consumer instance's use of a ``SharedProducer``: what the instance publishes its
/// retries and dead letters through. Ending the lease (`shutdown()`, after the instance saw
/// a fatal error and took a fresh lease) leaves the shared producer to its owner, which
/// replaces a failed handle once for every instance.
struct ProducerLease: Sendable {
    let shared: SharedProducer

    func sendBatch(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await shared.sendBatch(messages)
    }

    /// Ends this lease; the shared producer stays up (its owner shuts it down).
    func shutdown() async {}
}
