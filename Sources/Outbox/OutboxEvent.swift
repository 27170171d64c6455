import Contracts
import Foundation

/// One event to record in the outbox: what the service emits, before it has an envelope.
public struct OutboxEvent: Sendable {
    /// The contract type and major version, e.g. `order.placed.v1`.
    public var type: EventType
    /// The partition key: the aggregate id, so one aggregate's events stay ordered.
    public var key: String
    /// The event data: UTF-8 JSON that must satisfy the contract of `type`.
    public var data: [UInt8]
    /// The topic; `nil` takes the topic the writer's routes give for `type`.
    public var topic: String?
    /// `ce_subject`; defaults to `key`.
    public var subject: String?
    /// `ce_id`, the idempotency key; a new UUID unless given.
    public var id: UUID
    /// `ce_correlationid`; defaults to `id` for the first event of a flow.
    public var correlationID: String?
    /// `ce_causationid`: the `ce_id` of what caused this event.
    public var causationID: String?
    /// W3C `traceparent` propagated from the cause.
    public var traceparent: String?

    public init(
        type: EventType,
        key: String,
        data: [UInt8],
        topic: String? = nil,
        subject: String? = nil,
        id: UUID = RandomUUID.make(),
        correlationID: String? = nil,
        causationID: String? = nil,
        traceparent: String? = nil
    ) {
        self.type = type
        self.key = key
        self.data = data
        self.topic = topic
        self.subject = subject
        self.id = id
        self.correlationID = correlationID
        self.causationID = causationID
        self.traceparent = traceparent
    }

    /// An event whose data is `value` encoded as JSON (ISO 8601 dates, sorted keys).
    public init<T: Encodable>(
        type: EventType,
        key: String,
        encoding value: T,
        topic: String? = nil,
        id: UUID = RandomUUID.make(),
        correlationID: String? = nil,
        causationID: String? = nil,
        traceparent: String? = nil
    ) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.init(
            type: type, key: key, data: Array(try encoder.encode(value)), topic: topic, id: id,
            correlationID: correlationID, causationID: causationID, traceparent: traceparent
        )
    }
}
