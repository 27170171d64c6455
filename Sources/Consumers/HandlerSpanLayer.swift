import Tracing

/// The tracing layer next to the plain handler: a span `handle <type>` around the handler
/// call, a child of the consume span (the active span when it starts). It is the active
/// span while the handler runs, so events the handler emits carry its trace context.
struct HandlerSpanLayer: ConsumerMiddleware {
    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        guard ConsumeSpanLayer.isTracing else { return try await next(event, context) }
        try await withSpan("handle \(event.envelope.type)", ofKind: .internal) { span in
            if span.isRecording { span.attributes["choreo.handler.group"] = context.group }
            try await next(event, context)
        }
    }
}
