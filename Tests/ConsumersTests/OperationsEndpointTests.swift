import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Postgres
import Testing

/// The operations endpoint and JSON logs of real `choreo` processes: `/metrics` parsed by an
/// independent parser (Python `prometheus_client`), `/health/ready` across a database cut,
/// and the ids on JSON log lines.
@Suite("Operations endpoint: /metrics, /health/ready, JSON logs")
struct OperationsEndpointTests {
    /// A running `choreo` child with `--ops-port 0 --log-format json`, its log in a file.
    struct Child {
        let process: ChoreoProcess
        let log: URL

        static func start(_ arguments: [String]) throws -> Child {
            let log = FileManager.default.temporaryDirectory.appending(path: "choreo-ops-\(UUID()).log")
            let process = try ChoreoProcess.start(
                arguments + ["--ops-port", "0", "--log-format", "json"], environment: ["CHOREO_LOG_LEVEL": "info"],
                standardError: log)
            return Child(process: process, log: log)
        }

        /// Every log line, each parsed as one JSON object (a line that does not parse fails).
        func lines() throws -> [JSONValue] {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return try text.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        }

        /// The port the endpoint bound, from its `operations endpoint listening` line.
        func port() async throws -> Int {
            var port: Int?
            try await waitUntil(timeout: .seconds(60)) {
                port = try lines().first { $0["message"]?.stringValue == "operations endpoint listening" }?["port"]?
                    .stringValue.flatMap { Int($0) }
                return port != nil
            }
            return try #require(port)
        }
    }

    /// The documented metric names of docs/observability.md's tables.
    static func documentedMetrics() throws -> [String] {
        let docs = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "docs/observability.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `choreo_") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        }
    }

    @Test(
        "service run: /metrics parses with prometheus_client, has every documented relay and consumer name, and moves with traffic; JSON log lines carry the event's ids"
    )
    func metricsAndJSONLogs() async throws {
        try await ConsumerTestHarness.with { harness in
            let root = try ConsumerProcessTests.projectRoot()
            let child = try Child.start([
                "service", "run", "event-log", "--root", root.path, "--bootstrap-servers",
                harness.broker.bootstrapServers, "--database-url", databaseURL(of: harness.database),
            ])
            defer { child.process.kill() }
            let port = try await child.port()
            try await waitUntil(timeout: .seconds(60)) { await httpStatus(port: port, "/health/ready") == 200 }
            #expect(await httpStatus(port: port, "/health/live") == 200)

            // 20 events, one undecodable message and one contract-violating event with ids.
            try await harness.publish((0..<20).map { ("k\($0 % 5)", $0) })
            try await harness.publishRaw(key: "garbage", value: Array("not json".utf8), headers: [])
            let id = UUID()
            let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
            let envelope = EventEnvelope(
                id: id, type: TestContracts.v1, source: "/tests/operations", time: Date(), subject: "bad",
                correlationID: "corr-ops-1", causationID: nil, traceparent: "00-\(traceID)-00f067aa0ba902b7-01")
            try await harness.publishRaw(
                key: "bad", value: Array(#"{"unexpected":true}"#.utf8), headers: envelope.kafkaHeaders())

            let group = ["group": ConsumerTestHarness.group]
            var samples = try await MetricsScrape.scrape(port: port)
            try await waitUntil(timeout: .seconds(60)) {
                samples = try await MetricsScrape.scrape(port: port)
                return samples.value("choreo_consumer_applied_total", group) == 20
                    && samples.value("choreo_consumer_dead_lettered_total", group) == 2
            }
            let documented = try Self.documentedMetrics()
            #expect(documented.count >= 25)
            for name in documented where name.hasPrefix("choreo_relay_") || name.hasPrefix("choreo_consumer_") {
                #expect(
                    samples.samples[name] != nil || samples.samples[name + "_count"] != nil,
                    "\(name) is documented but not exported")
            }
            #expect(samples.value("choreo_consumer_dead_lettered_total", group + ["reason": "undecodable"]) == 1)
            #expect(
                samples.value("choreo_consumer_dead_lettered_total", group + ["reason": "contract-violation"])
                    == 1)
            #expect(samples.value("choreo_relay_active") == 1)
            let consumedBefore = try #require(samples.value("choreo_consumer_consumed_total", group))
            let batchesBefore = try #require(samples.value("choreo_consumer_batch_duration_seconds_count", group))
            #expect(consumedBefore >= 22)
            #expect(try #require(samples.value("choreo_consumer_handler_duration_seconds_count", group)) >= 20)

            // More traffic moves the counters, the histograms and the lag gauges.
            try await harness.publish((0..<30).map { ("m\($0 % 7)", $0) })
            try await waitUntil(timeout: .seconds(60)) {
                samples = try await MetricsScrape.scrape(port: port)
                return samples.value("choreo_consumer_applied_total", group) == 50
            }
            #expect(try #require(samples.value("choreo_consumer_consumed_total", group)) >= consumedBefore + 30)
            #expect(
                try #require(samples.value("choreo_consumer_batch_duration_seconds_count", group)) > batchesBefore
            )
            let lag =
                samples.samples["choreo_consumer_lag"]?.filter { $0.labels["topic"] == ConsumerTestHarness.topic } ?? []
            #expect(!lag.isEmpty && lag.allSatisfy { $0.value == 0 }, "caught up: lag 0 on every partition read")

            // The JSON log: every line parses; the dead letter's line carries the event's ids.
            var deadLettered: JSONValue?
            try await waitUntil(timeout: .seconds(30)) {
                deadLettered = try child.lines().first {
                    $0["message"]?.stringValue == "dead-lettered a message"
                        && $0["event_id"]?.stringValue == UUIDText.lowercased(id)
                }
                return deadLettered != nil
            }
            #expect(deadLettered?["correlation_id"]?.stringValue == "corr-ops-1")
            #expect(deadLettered?["trace_id"]?.stringValue == traceID)
            #expect(deadLettered?["level"]?.stringValue == "warning")
            #expect(deadLettered?["timestamp"]?.stringValue != nil)

            child.process.kill(signal: SIGTERM)
            #expect(await child.process.waitForExit(timeout: .seconds(20)) == 0)
        }
    }

    @Test("consumer run: /health/ready turns 503 while the database is black-holed and 200 again after")
    func readinessFollowsTheDatabase() async throws {
        try await ConsumerTestHarness.with { harness in
            let proxy = try TCPProxy(upstreamPort: harness.database.port ?? 5432)
            var viaProxy = harness.database
            viaProxy.host = "127.0.0.1"
            viaProxy.port = proxy.port
            let root = try ConsumerProcessTests.projectRoot()
            let child = try Child.start([
                "consumer", "run", ConsumerTestHarness.group, "--root", root.path, "--bootstrap-servers",
                harness.broker.bootstrapServers, "--database-url", databaseURL(of: viaProxy),
            ])
            defer { child.process.kill() }
            let port = try await child.port()
            try await waitUntil(timeout: .seconds(60)) { await httpStatus(port: port, "/health/ready") == 200 }

            proxy.mode = .blackHole
            try await waitUntil(timeout: .seconds(60)) { await httpStatus(port: port, "/health/ready") == 503 }
            #expect(await httpStatus(port: port, "/health/live") == 200, "alive while not ready")

            proxy.mode = .pass
            try await waitUntil(timeout: .seconds(60)) { await httpStatus(port: port, "/health/ready") == 200 }
            child.process.kill(signal: SIGTERM)
            #expect(await child.process.waitForExit(timeout: .seconds(20)) == 0, "SIGTERM stops it cleanly")
            await proxy.stop()
        }
    }
}

extension Dictionary where Key == String, Value == String {
    fileprivate static func + (lhs: Self, rhs: Self) -> Self { lhs.merging(rhs) { _, new in new } }
}
