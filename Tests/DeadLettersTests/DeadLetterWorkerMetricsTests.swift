import ChoreoTestSupport
import Contracts
import DeadLetters
import Foundation
import Kafka
import Testing

/// `choreo dlq worker`'s operations endpoint, read as Prometheus does: its `/metrics`
/// parsed by Python `prometheus_client`.
@Suite("choreo dlq worker: /health/ready and the choreo_dead_letters gauge")
struct DeadLetterWorkerMetricsTests {
    @Test("the worker's /health/ready turns 200 once it joined; choreo_dead_letters counts a dead letter that arrives")
    func gaugeMovesWhenADeadLetterArrives() async throws {
        try await DeadLetterTestHarness.with { harness in
            let log = FileManager.default.temporaryDirectory.appending(path: "choreo-dlq-worker-\(UUID()).log")
            defer { try? FileManager.default.removeItem(at: log) }
            let worker = try ChoreoProcess.start(
                ["dlq", "worker", "--ops-port", "0", "--log-format", "json"],
                environment: [
                    "CHOREO_ROOT": harness.root.path, "CHOREO_BOOTSTRAP_SERVERS": harness.broker.bootstrapServers,
                    "CHOREO_OPS_DATABASE_URL": harness.opsURL, "CHOREO_LOG_LEVEL": "info",
                ], standardError: log)
            defer { worker.kill() }
            let port = try await Self.port(log: log)
            try await waitUntil(timeout: .seconds(60)) { await httpStatus(port: port, "/health/ready") == 200 }
            let pending = ["status": "pending", "reason": "handler-error"]
            #expect((try await MetricsScrape.scrape(port: port)).value("choreo_dead_letters", pending) ?? 0 == 0)

            // A dead letter as a consumer group writes it, on test-group's dead-letter topic.
            let letter = DeadLetterFixtures.message(offset: 7, key: "k7", reason: "handler-error")
            let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(harness.broker))
            _ = try await producer.send(
                KafkaProducerMessage(
                    topic: letter.topic, partition: nil, key: letter.key, value: letter.value,
                    headers: letter.headers))
            await producer.shutdown()

            try await waitUntil(timeout: .seconds(30)) {
                try await MetricsScrape.scrape(port: port).value("choreo_dead_letters", pending) == 1
            }
            let scrape = try await MetricsScrape.scrape(port: port)
            #expect(scrape.value("choreo_dead_letters", ["status": "replayed"]) ?? 0 == 0)
        }
    }

    /// The port the endpoint bound, from the worker's `operations endpoint listening` line.
    static func port(log: URL) async throws -> Int {
        var port: Int?
        try await waitUntil(timeout: .seconds(60)) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            port = try text.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
                .first { $0["message"]?.stringValue == "operations endpoint listening" }?["port"]?.stringValue
                .flatMap { Int($0) }
            return port != nil
        }
        return try #require(port)
    }

}
