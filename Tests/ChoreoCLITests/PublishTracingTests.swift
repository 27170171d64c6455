import ChoreoTestSupport
import Foundation
import Kafka
import Testing
import Topics

/// `choreo publish` is short-lived: with an OTLP endpoint set it must flush its span before it
/// exits. Read back by an independent receiver (Python `opentelemetry-proto`).
@Suite("Tracing: choreo publish starts a trace and flushes its span before exit")
struct PublishTracingTests {
    @Test("the publish span reaches the receiver, and the message carries its traceparent")
    func publishSpanIsFlushed() async throws {
        let receiver = try await OTLPReceiver()
        defer { receiver.stop() }
        let catalog = try TopicCatalog.load(directory: CLI.repositoryRoot.appending(path: "topics"))
        try await withEmbeddedKafka(brokers: 1, topics: catalog.topics.map { ($0.name, $0.partitions) }) { broker in
            let published = try await CLI.run(
                [
                    "publish", "order.placed", "--version", "1", "--key", "5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10",
                    "--data", PublishAndBrokerTests.order, "--bootstrap-servers", broker.bootstrapServers,
                ], environment: ["CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
            #expect(published.status == 0, "stderr: \(published.stderr)")
            let id = try #require(
                published.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
            // The process has exited: its span was exported before.
            let span = try #require(
                try receiver.spans().first { $0.attribute("messaging.operation.name") == "publish" },
                "no publish span was exported before exit")
            #expect(span.service == "choreo-publish")
            #expect(span.name == "publish orders.events")
            #expect(span.kind == "SPAN_KIND_PRODUCER")
            #expect(span.parentSpanID.isEmpty, "a publish starts the trace")
            #expect(span.attribute("messaging.message.id") == id)
            #expect(span.attribute("cloudevents.event_type") == "order.placed.v1")
            #expect(span.attribute("messaging.kafka.offset") != nil)
            let reader = TopicReader(bootstrapServers: broker.bootstrapServers, topic: "orders.events", partitions: 6)
            let message = try #require(try await reader.read(count: 1, timeout: .seconds(10)).first)
            #expect(message.header("traceparent") == "00-\(span.traceID)-\(span.spanID)-01")
        }
    }
}
