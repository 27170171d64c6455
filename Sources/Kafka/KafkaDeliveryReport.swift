import Foundation

/// The broker's acknowledgement of one produced message.
public struct KafkaDeliveryReport: Sendable, Hashable {
    /// The topic the message was written to.
    public var topic: String
    /// The partition the message was written to.
    public var partition: Int32
    /// The message's offset in that partition.
    public var offset: Int64
    /// The message timestamp (create or log-append time), when known.
    public var timestamp: Date?

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Date?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}
