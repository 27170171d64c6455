import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import InMemoryTracing
import Kafka
import Synchronization
import Testing
import Tracing

/// The consumer's spans (PostgreSQL + embedded broker). Each test installs its own
/// `W3CTestTracer` with `withTracer` — a task-local tracer, inherited by the runtime's tasks
/// — so nothing process-global is bootstrapped and tests running in parallel are unaffected;
/// the suite is serialized all the same, as the brief for tracing tests asks.
@Suite("Consumer runtime: tracing (PostgreSQL + embedded broker)", .serialized)
struct ConsumerTracingTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let parentSpanID = "00f067aa0ba902b7"

    /// Publishes one `test.event.v1` whose `traceparent` continues `traceID`.
    static func publishTraced(_ harness: ConsumerTestHarness, key: String, seq: Int) async throws -> EventEnvelope {
        let envelope = EventEnvelope(
            id: UUID(), type: TestContracts.v1, source: "/tests/tracing", time: Date(), subject: key,
            correlationID: "corr-\(seq)", causationID: nil, traceparent: "00-\(traceID)-\(parentSpanID)-01")
        try await harness.publishRaw(
            key: key, value: TestContracts.data(key: key, seq: seq), headers: envelope.kafkaHeaders())
        return envelope
    }

    @Test(
        "a consume span continues the event's traceparent; middleware runs in it; the handler span is its child, active in the handler"
    )
    func consumeAndHandlerSpans() async throws {
        try await ConsumerTestHarness.with { harness in
            let tracer = W3CTestTracer()
            let inHandler = Mutex<String?>(nil)
            let handler: EventHandler = { event, context in
                inHandler.withLock { $0 = TraceContextPropagation.traceparent() }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            let inMiddleware = Mutex<String?>(nil)
            var configuration = harness.configuration(handler: handler)
            configuration.use { event, context, next in
                inMiddleware.withLock { $0 = TraceContextPropagation.traceparent() }
                try await next(event, context)
            }
            let event = try await Self.publishTraced(harness, key: "K", seq: 1)
            try await withTracer(tracer) {
                try await harness.withRuntime(configuration) { runtime in
                    try await waitUntil(timeout: .seconds(30)) { runtime.metrics.handled == 1 }
                }
            }
            let spans = tracer.finishedSpans
            let consume = try #require(spans.first { $0.operationName == "consume test.event.v1" })
            #expect(consume.kind == .consumer)
            #expect(consume.traceID == Self.traceID)
            #expect(consume.parentSpanID == Self.parentSpanID)
            #expect(consume.attributes["messaging.system"]?.toSpanAttribute() == "kafka")
            #expect(
                consume.attributes["messaging.destination.name"]?.toSpanAttribute() == "\(ConsumerTestHarness.topic)")
            #expect(
                consume.attributes["messaging.kafka.consumer.group"]?.toSpanAttribute()
                    == "\(ConsumerTestHarness.group)")
            #expect(consume.attributes["messaging.kafka.offset"]?.toSpanAttribute() == 0)
            #expect(
                consume.attributes["cloudevents.event_id"]?.toSpanAttribute()
                    == "\(event.id.uuidString.lowercased())")
            #expect(consume.attributes["cloudevents.event_type"]?.toSpanAttribute() == "test.event.v1")
            #expect(consume.attributes["choreo.correlation_id"]?.toSpanAttribute() == "corr-1")
            let handle = try #require(spans.first { $0.operationName == "handle test.event.v1" })
            #expect(handle.traceID == Self.traceID)
            #expect(handle.parentSpanID == consume.spanID)
            // A user middleware runs inside the consume span, the handler inside the handler span:
            // what an event emitted by the handler inherits.
            #expect(inMiddleware.withLock { $0 } == "00-\(Self.traceID)-\(consume.spanID)-01")
            #expect(inHandler.withLock { $0 } == "00-\(Self.traceID)-\(handle.spanID)-01")
        }
    }

    @Test("a duplicate gets a consume span too: dedupe is a layer inside it")
    func duplicateGetsConsumeSpan() async throws {
        try await ConsumerTestHarness.with { harness in
            let tracer = W3CTestTracer()
            let event = try await Self.publishTraced(harness, key: "K", seq: 1)
            try await harness.publishRaw(
                key: "K", value: TestContracts.data(key: "K", seq: 1), headers: event.kafkaHeaders())
            try await withTracer(tracer) {
                try await harness.withRuntime(harness.configuration()) { runtime in
                    try await waitUntil(timeout: .seconds(30)) {
                        runtime.metrics.handled == 1 && runtime.metrics.duplicates == 1
                    }
                }
            }
            let spans = tracer.finishedSpans
            let consumes = spans.filter { $0.operationName == "consume test.event.v1" }
            #expect(consumes.allSatisfy { $0.parentSpanID == Self.parentSpanID })
            // The duplicate's consume span has no handler span under it. (In two batches, the
            // optimistic attempt may call the handler before the pipelined processed-event
            // insert reports the conflict; the redo then skips it: one more pair of spans.)
            let handles = spans.filter { $0.operationName == "handle test.event.v1" }
            #expect(consumes.count == handles.count + 1)
            let handled = Set(handles.compactMap(\.parentSpanID))
            #expect(consumes.filter { !handled.contains($0.spanID) }.count == 1)
        }
    }

    @Test("an event without a traceparent starts a new trace")
    func newTraceWithoutTraceparent() async throws {
        try await ConsumerTestHarness.with { harness in
            let tracer = W3CTestTracer()
            try await harness.publish([("K", 1)])
            try await withTracer(tracer) {
                try await harness.withRuntime(harness.configuration()) { runtime in
                    try await waitUntil(timeout: .seconds(30)) { runtime.metrics.handled == 1 }
                }
            }
            let consume = try #require(tracer.finishedSpans.first { $0.operationName == "consume test.event.v1" })
            #expect(consume.parentSpanID == nil)
            #expect(consume.traceID.count == 32)
        }
    }

    @Test(
        "a dead-lettered event gets a dead-letter span, a child of its last consume span, with the reason; its retries get retry spans, children of the failed consume spans"
    )
    func deadLetterSpan() async throws {
        try await ConsumerTestHarness.with { harness in
            let tracer = W3CTestTracer()
            struct Boom: Error {}
            let handler: EventHandler = { _, _ in throw Boom() }
            let event = try await Self.publishTraced(harness, key: "K", seq: 1)
            try await withTracer(tracer) {
                try await harness.withRuntime(harness.configuration(handler: handler)) { runtime in
                    try await waitUntil(timeout: .seconds(30)) { runtime.metrics.deadLettered == 1 }
                }
            }
            let spans = tracer.finishedSpans
            let letter = try #require(spans.first { $0.operationName == "dead-letter" })
            #expect(letter.traceID == Self.traceID)
            #expect(letter.kind == .producer)
            #expect(letter.attributes["choreo.dead_letter.reason"]?.toSpanAttribute() == "retries-exhausted")
            #expect(
                letter.attributes["cloudevents.event_id"]?.toSpanAttribute() == "\(event.id.uuidString.lowercased())")
            let retries = spans.filter { $0.operationName == "retry" }
            #expect(retries.count == ConsumerTestHarness.retry.delays.count)
            #expect(retries.allSatisfy { $0.traceID == Self.traceID })
            // Every delivery (first and retries) had its consume span in the same trace.
            let consumes = spans.filter { $0.operationName == "consume test.event.v1" }
            #expect(consumes.count >= 1 + ConsumerTestHarness.retry.delays.count)
            #expect(consumes.allSatisfy { $0.traceID == Self.traceID })
            // The dead-letter span is a child of the consume span of the last attempt, whose
            // handler failed; each retry span a child of the consume span that failed before it.
            let lastAttempt = ConsumerTestHarness.retry.delays.count + 1
            let failedLast = try #require(
                letter.parentSpanID.flatMap { parent in consumes.first { $0.spanID == parent } })
            func attempt(_ span: FinishedInMemorySpan) -> Int64? {
                guard case .int64(let attempt)? = span.attributes["choreo.attempt"]?.toSpanAttribute() else {
                    return nil
                }
                return attempt
            }
            #expect(attempt(failedLast) == Int64(lastAttempt))
            let retryParents = retries.compactMap { retry in consumes.first { $0.spanID == retry.parentSpanID } }
            #expect(retryParents.count == retries.count)
            #expect(Set(retryParents.compactMap(attempt)) == Set((1..<lastAttempt).map { Int64($0) }))
        }
    }
}
