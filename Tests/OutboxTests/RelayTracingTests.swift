import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Outbox
import Testing

/// `choreo relay` with `CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT` set exports a `relay publish` span
/// per row to an independent OTLP/HTTP receiver (Python `opentelemetry-proto`).
@Suite("Tracing: choreo relay exports publish spans over OTLP/HTTP")
struct RelayTracingTests {
    @Test("a row's publish span continues its stored traceparent: same trace id, its child, linked to it")
    func publishSpanContinuesTheRowsTrace() async throws {
        try await OutboxTestHarness.with { harness in
            let receiver = try await OTLPReceiver()
            defer { receiver.stop() }
            let traceID = Self.hex(bytes: 16)
            let writeSpanID = Self.hex(bytes: 8)
            let traceparent = "00-\(traceID)-\(writeSpanID)-01"
            var traced = harness.event(key: "traced", seq: 1)
            traced.traceparent = traceparent
            let untraced = harness.event(key: "untraced", seq: 1)
            let connection = try await harness.connect()
            try await harness.writer.append([traced, untraced], on: connection)
            await connection.close()

            let relay = try ChoreoProcess.start(
                [
                    "relay", "--database-url", databaseURL(of: harness.database), "--bootstrap-servers",
                    harness.broker.bootstrapServers, "--source", "/tests/relay-tracing",
                ],
                environment: ["CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
            defer { relay.kill() }
            try await waitUntil(timeout: .seconds(60)) { try await harness.pendingCount() == 0 }
            // Spans are batched; the graceful stop flushes them before the process exits.
            relay.kill(signal: SIGTERM)
            #expect(await relay.waitForExit(timeout: .seconds(30)) == 0)

            let publishes = try receiver.spans().filter { $0.attribute("messaging.operation.name") == "relay.publish" }
            #expect(publishes.count == 2)
            let span = try #require(
                publishes.first { $0.attribute("messaging.message.id") == UUIDText.lowercased(traced.id) })
            #expect(span.traceID == traceID, "the publish span is in the row's trace")
            #expect(span.parentSpanID == writeSpanID, "a child of the span that wrote the row")
            #expect(span.links.contains { $0.traceID == traceID && $0.spanID == writeSpanID }, "linked to it")
            #expect(span.kind == "SPAN_KIND_PRODUCER")
            #expect(span.service == "choreo-relay")
            #expect(span.name == "relay publish \(OutboxTestHarness.topic)")
            #expect(span.attribute("messaging.system") == "kafka")
            #expect(span.attribute("messaging.destination.name") == OutboxTestHarness.topic)
            #expect(span.attribute("messaging.kafka.message.key") == "traced")
            #expect(span.attribute("messaging.kafka.offset") != nil)
            #expect(span.status != "STATUS_CODE_ERROR")
            // A row without a traceparent gets a root span of its own.
            let root = try #require(
                publishes.first { $0.attribute("messaging.message.id") == UUIDText.lowercased(untraced.id) })
            #expect(root.parentSpanID.isEmpty && root.links.isEmpty && root.traceID != traceID)

            // The relay publishes the row as written: the message keeps the stored traceparent.
            let messages = try await harness.reader.read(count: 2)
            let message = try #require(
                messages.first { $0.key.map { String(decoding: $0, as: UTF8.self) } == "traced" })
            #expect(message.headers.first { $0.key == "traceparent" }?.stringValue == traceparent)
        }
    }

    static func hex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 1...255, using: &generator)) }.joined()
    }
}
