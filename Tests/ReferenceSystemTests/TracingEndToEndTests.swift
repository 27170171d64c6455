import ChoreoTestSupport
import Foundation
import Postgres
import Testing
import Topics

/// One trace across services with no HTTP between them, read back from an independent OTLP/HTTP
/// receiver (Python `opentelemetry-proto`): `choreo publish` sends a `customer.register.v1`
/// command; the Customers service (`choreo service run customers`) handles it and writes
/// `customer.registered.v1` to its outbox; its relay publishes it; the audit-log group
/// (`choreo consumer run audit-log`, service event-log) fails on it (a CHECK constraint
/// the test adds), retries once and dead-letters it; `choreo dlq worker` stores the dead
/// letter; the constraint goes; `choreo dlq replay` replays it and the audit log applies it.
/// Every one of those spans carries the trace id the publish started.
@Suite("Tracing: one trace from outbox write to dead letter and replay", .serialized)
struct TracingEndToEndTests {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("one customer's trace holds spans of several services: write, relay, handlers, dead letter, replay")
    func oneTraceAcrossServices() async throws {
        let receiver = try await OTLPReceiver()
        defer { receiver.stop() }
        let root = try Self.projectRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let catalog = try TopicCatalog.load(directory: root.appending(path: "topics"))
        try await withEmbeddedKafka(topics: catalog.topics.map { ($0.name, $0.partitions) }) { cluster in
            try await withScratchDatabase { customers in
                try await withScratchDatabase { audit in
                    try await withScratchDatabase { ops in
                        try await run(
                            receiver: receiver, root: root, bootstrap: cluster.bootstrapServers, customers: customers,
                            audit: audit, ops: ops)
                    }
                }
            }
        }
    }

    func run(
        receiver: OTLPReceiver, root: URL, bootstrap: String, customers: PostgresConfiguration,
        audit: PostgresConfiguration, ops: PostgresConfiguration
    ) async throws {
        let customerID = UUID().uuidString.lowercased()
        // The audit log refuses this customer until the test lifts the constraint (the table as
        // the event-log migration creates it, which then finds it present).
        let auditConnection = try await PostgresConnection.connect(configuration: audit)
        defer { Task { await auditConnection.close() } }
        try await auditConnection.simpleQuery(
            """
            CREATE TABLE event_log (
                event_id uuid NOT NULL, consumer_group text NOT NULL, event_type text NOT NULL,
                partition_key text, source text NOT NULL, correlation_id text, data jsonb NOT NULL,
                event_time timestamptz NOT NULL, logged_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                PRIMARY KEY (consumer_group, event_id),
                CONSTRAINT refuse_traced CHECK (partition_key IS DISTINCT FROM '\(customerID)'));
            """)
        let environment = [
            "CHOREO_ROOT": root.path, "CHOREO_BOOTSTRAP_SERVERS": bootstrap,
            "CHOREO_CUSTOMERS_DATABASE_URL": databaseURL(of: customers),
            "CHOREO_EVENT_LOG_DATABASE_URL": databaseURL(of: audit), "CHOREO_OPS_DATABASE_URL": databaseURL(of: ops),
            "CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        ]
        let processes = try [
            ChoreoProcess.start(["service", "run", "customers"], environment: environment),
            ChoreoProcess.start(["consumer", "run", "audit-log"], environment: environment),
            ChoreoProcess.start(["dlq", "worker"], environment: environment),
        ]
        defer { for process in processes { process.kill() } }

        let published = try await ProcessRun.choreo(
            [
                "publish", "customer.register", "--key", customerID, "--data",
                #"{"customerId":"\#(customerID)","name":"Ada","email":"ada@example.com","creditLimit":100}"#,
            ], environment: environment)
        try #require(published.status == 0, "\(published.stderr)")

        // Dead-lettered (after one retry) and stored by the worker.
        let opsConnection = try await PostgresConnection.connect(configuration: ops)
        defer { Task { await opsConnection.close() } }
        var recordID: Int64?
        try await waitUntil(timeout: .seconds(120)) {
            let rows = try? await opsConnection.query(
                "SELECT id FROM dead_letters WHERE consumer_group = 'audit-log' AND key_text = \(customerID)")
            recordID = try rows?.first?.decode(Int64.self, column: 0)
            return recordID != nil
        }
        let record = try #require(recordID)
        try await auditConnection.simpleQuery("ALTER TABLE event_log DROP CONSTRAINT refuse_traced")
        let replayed = try await ProcessRun.choreo(
            ["dlq", "replay", "\(record)", "--to-topic", "--yes"], environment: environment)
        try #require(replayed.status == 0, "\(replayed.stderr)")
        try await waitUntil(timeout: .seconds(60)) {
            let rows = try await auditConnection.query(
                "SELECT count(*) FROM event_log WHERE partition_key = \(customerID)")
            return try rows.first?.decode(Int64.self, column: 0) == 1
        }
        // A graceful stop flushes each process's spans.
        for process in processes { process.kill(signal: SIGTERM) }
        for process in processes { #expect(await process.waitForExit(timeout: .seconds(30)) == 0) }

        let spans = try receiver.spans()
        let publish = try #require(spans.first { $0.attribute("messaging.operation.name") == "publish" })
        let trace = spans.filter { $0.traceID == publish.traceID }
        let summary = trace.map { "\($0.service): \($0.name) [\($0.kind)]" }.joined(separator: "\n")
        #expect(publish.service == "choreo-publish" && publish.parentSpanID.isEmpty, "the publish starts the trace")

        // The outbox write in the Customers service, inside the handler's transaction.
        let write = try #require(
            trace.first { $0.attribute("messaging.operation.name") == "outbox.write" }, "no outbox write:\n\(summary)")
        #expect(write.service == "choreo-customers")
        #expect(write.attribute("cloudevents.event_type") == "customer.registered.v1")
        // The relay's publish: a child of the write, linked to it.
        let relay = try #require(
            trace.first { $0.attribute("messaging.operation.name") == "relay.publish" }, "no relay publish:\n\(summary)"
        )
        #expect(relay.service == "choreo-customers")
        #expect(relay.parentSpanID == write.spanID)
        #expect(relay.links.contains { $0.spanID == write.spanID })
        // The replay: continues the dead letter's trace, linked to it.
        let replay = try #require(
            trace.first { $0.attribute("messaging.operation.name") == "dlq.replay" }, "no replay:\n\(summary)")
        #expect(replay.service == "choreo-dlq")
        #expect(replay.attribute("choreo.dead_letter.id") == "\(record)")
        #expect(replay.attribute("messaging.destination.name") == "customers.events")
        #expect(!replay.links.isEmpty)

        // The consumer side (the pipeline's consume and handler spans, and the dead-lettering):
        // the Customers handler that emitted the event is the write's parent; the audit log
        // consumed it, dead-lettered it, and consumed the replay (a child of the replay span).
        let services = Set(trace.map(\.service))
        #expect(
            services.isSuperset(of: ["choreo-publish", "choreo-customers", "choreo-event-log", "choreo-dlq"]),
            "services in the trace:\n\(summary)")
        let handler = try #require(
            trace.first { $0.spanID == write.parentSpanID }, "the write's parent is not in the trace:\n\(summary)")
        #expect(handler.service == "choreo-customers" && handler.name == "handle customer.register.v1")
        let consume = try #require(
            trace.first { $0.spanID == handler.parentSpanID }, "the handler's parent is not in the trace:\n\(summary)")
        #expect(consume.kind == "SPAN_KIND_CONSUMER" && consume.name == "consume customer.register.v1")
        #expect(consume.parentSpanID == publish.spanID, "the command's consumption is a child of its publish")
        let audit = trace.filter { $0.service == "choreo-event-log" }
        #expect(
            audit.contains { $0.name == "consume customer.registered.v1" && $0.parentSpanID == write.spanID },
            "the audit log consumed the event as a child of its write:\n\(summary)")
        #expect(
            audit.contains {
                $0.name == "dead-letter" && $0.attribute("choreo.dead_letter.reason") == "retries-exhausted"
            }, "no dead-letter span in the audit log's service:\n\(summary)")
        #expect(
            audit.contains { $0.name == "consume customer.registered.v1" && $0.parentSpanID == replay.spanID },
            "the replayed message's consumption is a child of the replay span:\n\(summary)")
    }

    /// A copy of the repository's contracts/, topics/ and consumers/, with the audit-log group
    /// retrying once after 1 s before it dead-letters (instead of 1 s, 10 s and 1 min).
    static func projectRoot() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-tracing-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for folder in ["contracts", "topics", "consumers"] {
            try FileManager.default.copyItem(at: repository.appending(path: folder), to: root.appending(path: folder))
        }
        let spec = root.appending(path: "consumers/audit-log.yaml")
        let text = try String(contentsOf: spec, encoding: .utf8)
        try text.replacingOccurrences(of: "retry: { delays: [1s, 10s, 1m] }", with: "retry: { delays: [1s] }")
            .write(to: spec, atomically: true, encoding: .utf8)
        return root
    }
}
