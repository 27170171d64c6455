import Kafka

/// The size of an outbox event as a Kafka message, counted the way `KafkaProducer` bounds
/// it before enqueue (`maxMessageBytes`: key + value + every header's name and value;
/// `maxHeaderBytes`: the header names and values alone). The writer refuses at write time,
/// and the relay before producing, what the producer would refuse.
struct OutboxMessageSize: Equatable, Sendable {
    var keyBytes: Int
    var valueBytes: Int
    var headerBytes: Int
    var headerCount: Int

    var total: Int { keyBytes + valueBytes + headerBytes }

    init(key: [UInt8]?, valueBytes: Int, headers: [KafkaHeader]) {
        keyBytes = key?.count ?? 0
        self.valueBytes = valueBytes
        headerBytes = headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) }
        headerCount = headers.count
    }

    init(_ message: KafkaProducerMessage) {
        self.init(key: message.key, valueBytes: message.value?.count ?? 0, headers: message.headers)
    }

    /// `nil` when the producer accepts a message of this size, else why not (no payload).
    func violation(maxMessageBytes: Int, maxHeaderBytes: Int) -> String? {
        if headerBytes > maxHeaderBytes {
            return "its \(headerCount) headers have \(headerBytes) bytes; the producer's limit is \(maxHeaderBytes)"
        }
        if total > maxMessageBytes {
            return
                "the message has \(total) bytes (data \(valueBytes), key \(keyBytes), headers \(headerBytes)); the producer's message.max.bytes is \(maxMessageBytes)"
        }
        return nil
    }
}
