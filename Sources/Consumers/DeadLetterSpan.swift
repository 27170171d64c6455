import Contracts
import Kafka
import Tracing

/// The span of a retry or dead letter the runtime delivered: `dead-letter` (a dead letter,
/// reason in `choreo.dead_letter.reason`) or `retry` (sent to a retry topic), kind
/// `producer`, in the trace of the message it republishes: a child of the consume span of
/// the handler call that failed (carried in ``Outgoing/traceContext``; the consume span
/// has ended by then, a child may still name it). A message dead-lettered before any
/// handler call (undecodable, oversized, …) or a parked event's recorded publication has
/// no consume span: its span is a child of the message's `traceparent`.
enum DeadLetterSpan {
    static func record(_ outgoing: Outgoing, group: String) {
        guard ConsumeSpanLayer.isTracing else { return }
        let traceparent = RetryHeaders.value("traceparent", in: outgoing.source.headers)
        let parent = outgoing.traceContext ?? TraceContextPropagation.context(traceparent: traceparent)
        let name = outgoing.isDeadLetter ? "dead-letter" : "retry"
        withSpan(name, context: parent, ofKind: .producer) { span in
            guard span.isRecording else { return }
            span.attributes["messaging.system"] = "kafka"
            span.attributes["messaging.operation.type"] = "send"
            span.attributes["messaging.destination.name"] = outgoing.message.topic
            span.attributes["messaging.kafka.consumer.group"] = group
            span.attributes["choreo.source.topic"] = outgoing.source.topic
            span.attributes["choreo.source.partition"] = Int(outgoing.source.partition)
            span.attributes["choreo.source.offset"] = Int(outgoing.source.offset)
            if let id = RetryHeaders.value("ce_id", in: outgoing.source.headers) {
                span.attributes["cloudevents.event_id"] = id
            }
            if let letter = outgoing.deadLetter {
                span.attributes["choreo.dead_letter.reason"] = letter.reason.rawValue
                span.attributes["choreo.dead_letter.attempts"] = letter.attempts
                span.attributes["choreo.dead_letter.cut_down"] = outgoing.kind == .cutDownDeadLetter
                span.setStatus(SpanStatus(code: .error, message: letter.reason.rawValue))
            } else {
                let attempt = RetryHeaders.value(RetryHeaders.attempt, in: outgoing.message.headers).flatMap { Int($0) }
                span.attributes["choreo.retry.attempt"] = attempt ?? 0
            }
        }
    }
}
