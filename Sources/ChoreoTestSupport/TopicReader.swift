import Foundation
import Kafka

/// Reads a topic from the beginning of every partition, without a consumer group, until
/// a condition holds or a deadline passes. For asserting what was published.
public struct TopicReader: Sendable {
    public let bootstrapServers: String
    public let topic: String
    public let partitions: Int

    public init(bootstrapServers: String, topic: String, partitions: Int) {
        self.bootstrapServers = bootstrapServers
        self.topic = topic
        self.partitions = partitions
    }

    /// Reads until `until(messagesSoFar)` is true or `timeout` passes; returns what was read,
    /// in arrival order (order within a partition is the log order).
    public func read(
        timeout: Duration = .seconds(30),
        until done: @Sendable ([KafkaConsumerMessage]) -> Bool
    ) async throws -> [KafkaConsumerMessage] {
        var configuration = KafkaConsumerConfiguration(
            client: KafkaConfiguration(bootstrapServers: bootstrapServers),
            groupID: "choreo-test-reader-\(UUID().uuidString.prefix(8))"
        )
        configuration.client.rawProperties["fetch.wait.max.ms"] = "20"
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.assign(
            (0..<partitions).map { KafkaTopicPartitionOffset(topic: topic, partition: Int32($0), offset: 0) })
        var messages: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + timeout
        while !done(messages) && ContinuousClock.now < deadline {
            messages += try await consumer.poll(maxMessages: 1_000, timeout: .milliseconds(100))
        }
        await consumer.close()
        return messages
    }

    /// Reads until `count` messages arrived (or the timeout passed).
    public func read(count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerMessage] {
        try await read(timeout: timeout) { $0.count >= count }
    }
}

extension KafkaConsumerMessage {
    /// The first header named `key`, as UTF-8.
    public func header(_ key: String) -> String? {
        headers.first { $0.key == key }?.stringValue
    }

    /// The key as UTF-8.
    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
}
