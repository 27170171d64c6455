import Contracts
import InMemoryTracing
import Tracing

/// A test tracer: swift-distributed-tracing's `InMemoryTracer` for spans, with W3C
/// `traceparent` extraction and injection (the in-memory tracer propagates its own keys),
/// so spans continue and produce real event trace contexts. Install it for one test with
/// `withTracer(_:_:)` (task-local: tests running in parallel keep the default tracer).
struct W3CTestTracer: Tracer {
    let spans = InMemoryTracer(
        idGenerator: InMemoryTracer.IDGenerator(
            nextTraceID: { Self.hex(bytes: 16) }, nextSpanID: { Self.hex(bytes: 8) }))

    static func hex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(UInt8.random(in: 1...255), radix: 16) }.map {
            $0.count == 1 ? "0" + $0 : $0
        }.joined()
    }

    var finishedSpans: [FinishedInMemorySpan] { spans.finishedSpans }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> InMemorySpan {
        spans.startSpan(
            operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID,
            line: line)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    )
    where Carrier == Inject.Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Carrier == Extract.Carrier {
        guard let traceparent = extractor.extract(key: "traceparent", from: carrier) else { return }
        let fields = traceparent.split(separator: "-")
        guard fields.count == 4, fields[1].count == 32, fields[2].count == 16 else { return }
        context.inMemorySpanContext = InMemorySpanContext(
            traceID: String(fields[1]), spanID: String(fields[2]), parentSpanID: nil)
    }
}
