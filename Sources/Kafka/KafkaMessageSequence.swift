/// The messages of a ``KafkaConsumer`` as an `AsyncSequence`, polling in batches.
///
/// Iteration ends (returns `nil`) when the consumer is closed or the task is cancelled; fatal
/// consumer errors are thrown. Use one iterator per consumer.
public struct KafkaMessageSequence: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    let consumer: KafkaConsumer
    /// Messages taken per poll. Default 500.
    public var batchSize = 500

    public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer, batchSize: batchSize) }

    public struct Iterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        let batchSize: Int
        var buffer: [KafkaConsumerMessage] = []
        var position = 0

        public mutating func next() async throws -> KafkaConsumerMessage? {
            while position >= buffer.count {
                if Task.isCancelled || consumer.closed.isFired { return nil }
                do {
                    buffer = try await consumer.poll(maxMessages: batchSize, timeout: .milliseconds(500))
                } catch let error as KafkaError where error.code == .closed {
                    return nil
                }
                position = 0
            }
            defer { position += 1 }
            return buffer[position]
        }
    }
}
