import Contracts
import Tracing

/// The tracing layer, outermost: one span per event, kind `consumer`, named
/// `consume <type>`, a child of the event's `traceparent` (a new trace when it has none),
/// with the OpenTelemetry messaging attributes. It is the active span for the rest of the
/// chain, so the handler span and anything the layers inside start are its children; and
/// it leaves its context in the handler context's span slot, so the retry or dead-letter
/// span of a failed event is its child too.
///
/// With no instrument bootstrapped (the default), spans and propagation are no-ops, and
/// the layer only calls `next`: it costs one look-up per event.
struct ConsumeSpanLayer: ConsumerMiddleware {
    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        guard Self.isTracing else { return try await next(event, context) }
        let parent = TraceContextPropagation.context(
            traceparent: event.envelope.traceparent, tracestate: event.envelope.extensions["tracestate"])
        try await withSpan("consume \(event.envelope.type)", context: parent, ofKind: .consumer) { span in
            if span.isRecording { Self.describe(event, group: context.group, on: span) }
            context.spanSlot?.record(span.context)
            try await next(event, context)
        }
    }

    /// Whether an instrument is active (bootstrapped, or bound to the task with `withTracer`).
    static var isTracing: Bool {
        let instrument = InstrumentationSystem.instrument
        return !(instrument is NoOpInstrument || instrument is NoOpTracer)
    }

    /// Sets the messaging attributes of `event` on `span`.
    static func describe(_ event: ConsumedEvent, group: String, on span: any Span) {
        span.attributes["messaging.system"] = "kafka"
        span.attributes["messaging.operation.type"] = "process"
        span.attributes["messaging.destination.name"] = event.topic
        span.attributes["messaging.kafka.consumer.group"] = group
        span.attributes["messaging.destination.partition.id"] = "\(event.partition)"
        span.attributes["messaging.kafka.offset"] = Int(event.offset)
        span.attributes["messaging.message.id"] = UUIDText.lowercased(event.envelope.id)
        span.attributes["cloudevents.event_id"] = UUIDText.lowercased(event.envelope.id)
        span.attributes["cloudevents.event_type"] = event.envelope.type.description
        if let correlation = event.envelope.correlationID { span.attributes["choreo.correlation_id"] = correlation }
        span.attributes["choreo.attempt"] = event.attempt
    }
}
