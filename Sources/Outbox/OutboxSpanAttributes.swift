import Contracts
import Foundation
import Kafka
import Tracing

/// The attributes of the outbox's spans: OpenTelemetry messaging conventions (`messaging.*`)
/// and the event's CloudEvents identity (`cloudevents.*`), as docs/observability.md lists them.
enum OutboxSpanAttributes {
    /// The `outbox write` span's (`messaging.destination.name` is added once the topic is known).
    static func write(event: OutboxEvent, source: String, table: String) -> SpanAttributes {
        var attributes = SpanAttributes()
        attributes["messaging.system"] = "kafka"
        attributes["messaging.operation.type"] = "create"
        attributes["messaging.operation.name"] = "outbox.write"
        attributes["messaging.message.id"] = UUIDText.lowercased(event.id)
        attributes["messaging.kafka.message.key"] = event.key
        attributes["cloudevents.event_id"] = UUIDText.lowercased(event.id)
        attributes["cloudevents.event_type"] = event.type.description
        attributes["cloudevents.event_source"] = source
        attributes["choreo.outbox.table"] = table
        return attributes
    }

    /// The relay's `relay publish` span of one row.
    static func publish(
        rowID: Int64, topic: String, key: String?, eventType: String, headers: [KafkaHeader], table: String
    )
        -> SpanAttributes
    {
        var attributes = SpanAttributes()
        attributes["messaging.system"] = "kafka"
        attributes["messaging.operation.type"] = "send"
        attributes["messaging.operation.name"] = "relay.publish"
        attributes["messaging.destination.name"] = topic
        if let key { attributes["messaging.kafka.message.key"] = key }
        if let id = headers.first(where: { $0.key == "ce_id" })?.stringValue {
            attributes["messaging.message.id"] = id
            attributes["cloudevents.event_id"] = id
        }
        attributes["cloudevents.event_type"] = eventType
        attributes["choreo.outbox.table"] = table
        attributes["choreo.outbox.row_id"] = rowID
        return attributes
    }

}
