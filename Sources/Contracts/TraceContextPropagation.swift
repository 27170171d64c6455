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

    struct DictionaryExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }

    struct DictionaryInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }
}
