import Foundation
import Kafka
import Tracing

/// An event ready for its handler, with the message it came from.
struct PlannedEvent: Sendable {
    var event: ConsumedEvent
    var handler: EventHandler
    var message: KafkaConsumerMessage
}

/// One message of a batch, in order, as the database transaction sees it.
enum BatchItem: Sendable {
    /// An event to handle (or park).
    case event(PlannedEvent)
    /// Order-preserving mode: a message the classifier dead-lettered; it blocks its key.
    case deadLettered(key: String, id: UUID)
}

/// A handler call that failed (not transiently): its event goes to retry or dead letter.
struct HandlerFailure: Sendable {
    var planned: PlannedEvent
    var error: String
    var isPermanent: Bool
    /// The context of the event's consume span (tracing on): the parent of its retry or
    /// dead-letter span.
    var traceContext: ServiceContext? = nil
}
