/// The delivery reports of a batch enqueued with `KafkaProducer.enqueueBatch(_:)`.
public struct PendingDeliveries: Sendable {
    let batch: DeliveryBatch

    /// Waits until every message of the batch has its report; result `i` is message `i`'s.
    /// Call it once.
    public func wait() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await batch.wait()
    }
}
