/// A partition of a topic.
public struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public var description: String { "\(topic)[\(partition)]" }
}

/// A partition and an offset. As in Kafka commits, `offset` is the NEXT offset to read.
public struct KafkaTopicPartitionOffset: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    /// librdkafka's "no offset" (`RD_KAFKA_OFFSET_INVALID`): nothing committed.
    public static let invalid: Int64 = -1001
    /// The beginning of the partition (`RD_KAFKA_OFFSET_BEGINNING`).
    public static let beginning: Int64 = -2
    /// The end of the partition (`RD_KAFKA_OFFSET_END`).
    public static let end: Int64 = -1

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    /// The partition without the offset.
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
    public var description: String { "\(topic)[\(partition)]@\(offset)" }
}

/// A change of a consumer's assignment.
public enum KafkaRebalanceEvent: Sendable, Hashable {
    /// Partitions were assigned to this consumer.
    case assigned([KafkaTopicPartition])
    /// Partitions are being taken away in an orderly rebalance (commit finished work now).
    case revoked([KafkaTopicPartition])
    /// Partitions were lost (session expired); another member may already own them.
    case lost([KafkaTopicPartition])
}
