/// A message to produce. Payloads are copied into librdkafka when enqueued.
public struct KafkaProducerMessage: Sendable {
    /// The topic name.
    public var topic: String
    /// An explicit partition, or `nil` to let the partitioner choose by key.
    public var partition: Int32?
    /// The key, or `nil` for a null key (an empty array is an empty, non-null key).
    public var key: [UInt8]?
    /// The value, or `nil` for a null value (a tombstone).
    public var value: [UInt8]?
    /// Headers in order; repeated keys and null values are kept.
    public var headers: [KafkaHeader]

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?, headers: [KafkaHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// A message with UTF-8 key and value.
    public init(topic: String, partition: Int32? = nil, key: String?, value: String, headers: [KafkaHeader] = []) {
        self.init(
            topic: topic, partition: partition, key: key.map { Array($0.utf8) }, value: Array(value.utf8),
            headers: headers)
    }
}
