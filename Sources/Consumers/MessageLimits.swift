import Kafka

/// What a consumer accepts. A message over any bound is dead-lettered as `oversized`, in the
/// cut-down form of ``DeadLetter`` (its first KiBs, size and SHA-256), before any decoding.
public struct MessageLimits: Sendable, Equatable {
    /// Key + value + headers, in bytes. Default 1,000,000 (Kafka's default `message.max.bytes`).
    public var maxMessageBytes: Int = 1_000_000
    /// Headers per message. Default 64.
    public var maxHeaderCount: Int = 64
    /// Header keys + values, in bytes. Default 64 KiB (the producer's `maxHeaderBytes`).
    public var maxHeaderBytes: Int = 64 * 1_024

    public init() {}

    /// Why `message` is over the limits, or `nil` when it is within them.
    func violation(_ message: KafkaConsumerMessage) -> String? {
        if message.headers.count > maxHeaderCount {
            return "\(message.headers.count) headers exceed the limit of \(maxHeaderCount)"
        }
        let headerBytes = DeadLetter.byteCount(message.headers)
        if headerBytes > maxHeaderBytes {
            return "\(headerBytes) header bytes exceed the limit of \(maxHeaderBytes)"
        }
        let total = headerBytes + (message.key?.count ?? 0) + (message.value?.count ?? 0)
        if total > maxMessageBytes { return "\(total) bytes exceed the limit of \(maxMessageBytes)" }
        return nil
    }
}
