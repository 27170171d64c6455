import Foundation

/// A message read by a ``KafkaConsumer``; an independent copy of librdkafka's message.
public struct KafkaConsumerMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The key, or `nil` for a null key.
    public var key: [UInt8]?
    /// The value, or `nil` for a null value.
    public var value: [UInt8]?
    /// Headers in the order they were produced.
    public var headers: [KafkaHeader]
    /// The message timestamp, when the broker supplied one.
    public var timestamp: Date?

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader],
        timestamp: Date?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// The offset to commit once this message's work is finished (`offset + 1`).
    public var nextOffset: KafkaTopicPartitionOffset {
        KafkaTopicPartitionOffset(topic: topic, partition: partition, offset: offset + 1)
    }
}
