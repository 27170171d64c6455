import Kafka
import Tracing

/// The one place where an event's W3C trace context (`traceparent`, `tracestate`) meets the
/// process's tracer: extraction into a `ServiceContext` for spans that continue an event's
/// trace, and injection of the active span into the `traceparent` of events written.
///
/// Both go through the bootstrapped instrument (`InstrumentationSystem`), so they follow
/// whatever propagation the tracer implements (W3C with swift-otel). Under the default no-op
/// instrument, extraction yields an empty context and injection yields `nil`, and callers keep
/// the traceparent they already carry.
public enum TraceContextPropagation {
    /// A context carrying the trace of `traceparent` (and `tracestate`), to parent a span on.
    /// Empty (top level) when `traceparent` is `nil` or the instrument does not understand it.
    public static func context(traceparent: String?, tracestate: String? = nil) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let traceparent else { return context }
        var carrier = ["traceparent": traceparent]
        if let tracestate { carrier["tracestate"] = tracestate }
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: DictionaryExtractor())
        return context
    }

    /// The `traceparent` of the span active in `context` (by default the task's current one), as
    /// the instrument writes it; `nil` when there is no active span or tracing is not bootstrapped.
    public static func traceparent(of context: ServiceContext? = ServiceContext.current) -> String? {
        guard let context else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        guard let traceparent = carrier["traceparent"], EventEnvelope.isValidTraceparent(traceparent) else {
            return nil
        }
        return traceparent
    }

    /// Whether spans are recorded: a tracer is bootstrapped (or bound to the task). Hot paths
    /// check it once per batch and skip all span work under the default no-op tracer.
    public static var isTracing: Bool { !(InstrumentationSystem.tracer is NoOpTracer) }

    /// Starts a span that continues the trace of `traceparent` (and `tracestate`): a child of
    /// it, so the story keeps one trace id, and linked to it, so the stored context stays
    /// visible where a viewer shows links. When `traceparent` is `nil` or not understood, the
    /// span is a child of the task's active span, or a root without one. End it.
    public static func startSpan(
        _ operationName: String,
        continuing traceparent: String?,
        tracestate: String? = nil,
        ofKind kind: SpanKind,
        attributes: SpanAttributes = [:]
    ) -> any Span {
        let parent = context(traceparent: traceparent, tracestate: tracestate)
        let continues = !parent.isEmpty
        let span: any Span = InstrumentationSystem.tracer.startSpan(
            operationName, context: continues ? parent : (ServiceContext.current ?? .topLevel), ofKind: kind)
        if continues { span.addLink(SpanLink(context: parent, attributes: [:])) }
        if !attributes.isEmpty { span.updateAttributes { $0.merge(attributes) } }
        return span
    }

    /// Starts a span continuing the trace that a message's `traceparent` and `tracestate`
    /// headers carry (see `startSpan(_:continuing:tracestate:ofKind:attributes:)`).
    public static func startSpan(
        _ operationName: String, continuingHeaders headers: [KafkaHeader], ofKind kind: SpanKind,
        attributes: SpanAttributes = [:]
    ) -> any Span {
        startSpan(
            operationName, continuing: header("traceparent", in: headers),
            tracestate: header("tracestate", in: headers),
            ofKind: kind, attributes: attributes)
    }

    /// `headers` with `traceparent` set to that of `span` (replacing the one carried), so the
    /// message continues the trace from `span`; unchanged when the span has no W3C context.
    public static func headers(_ headers: [KafkaHeader], continuingFrom span: any Span) -> [KafkaHeader] {
        guard let traceparent = traceparent(of: span.context) else { return headers }
        var headers = headers
        if let index = headers.firstIndex(where: { $0.key == "traceparent" }) {
            headers[index] = KafkaHeader(key: "traceparent", string: traceparent)
        } else {
            headers.append(KafkaHeader(key: "traceparent", string: traceparent))
        }
        return headers
    }

    private static func header(_ name: String, in headers: [KafkaHeader]) -> String? {
        headers.first { $0.key == name }?.stringValue
    }

    struct DictionaryExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }

    struct DictionaryInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }
}
