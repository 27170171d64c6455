import Contracts
import Foundation
import Kafka

/// An event as a handler receives it: decoded, validated against its contract and
/// upcast to the version the handler registered for.
public struct ConsumedEvent: Sendable {
    /// The CloudEvents attributes (`id` is the idempotency key).
    public var envelope: EventEnvelope
    /// The data, UTF-8 JSON valid against the contract of `envelope.type` (after upcasting).
    public var data: [UInt8]
    /// Where it was read from: the main topic, or a retry topic.
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The partition key (aggregate id), if any.
    public var key: String?
    /// 1 for the first delivery, n for the (n-1)th retry.
    public var attempt: Int

    /// Decodes `data` as `T` (ISO 8601 dates).
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(data))
    }
}
