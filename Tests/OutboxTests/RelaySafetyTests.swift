import ChoreoTestSupport
import Foundation
import Kafka
import Outbox
import Testing

@Suite("Relay configuration: safety settings and flags")
struct RelaySafetyTests {
    static func producer(_ raw: [String: String]) -> KafkaProducerConfiguration {
        var client = KafkaConfiguration(bootstrapServers: "127.0.0.1:9")
        client.rawProperties = raw
        return KafkaProducerConfiguration(client: client)
    }

    @Test(
        "raw properties that weaken the relay's guarantees are refused, naming the property",
        arguments: [
            ("enable.idempotence", "false"), ("acks", "1"), ("request.required.acks", "0"),
            ("message.timeout.ms", "30000"), ("delivery.timeout.ms", "1000"),
            ("max.in.flight.requests.per.connection", "100"), ("max.in.flight", "6"),
            ("enable.gapless.guarantee", "false"), ("ACKS", "1"),
        ])
    func weakeningRawPropertyRefused(key: String, value: String) throws {
        do {
            _ = try OutboxRelayConfiguration(producer: Self.producer([key: value]))
            Issue.record("\(key)=\(value) was accepted")
        } catch let error as OutboxError {
            #expect(error.code == .configuration)
            #expect(error.description.contains(key.lowercased()))
            #expect(!error.description.contains(value) || value == "1" || value == "0")
        }
    }

    @Test("values the relay sets itself, and unrelated properties, are accepted")
    func safeValuesAccepted() throws {
        let configuration = try OutboxRelayConfiguration(
            producer: Self.producer([
                "acks": "all", "enable.idempotence": "true", "max.in.flight": "5", "linger.ms": "2",
                "enable.gapless.guarantee": "true",
            ]))
        // The validated copy (what a relay runs with) can be validated again.
        let relay = try OutboxRelay(
            database: .init(host: "127.0.0.1", port: 1, user: "x", database: "x"), configuration: configuration)
        _ = try OutboxRelay(database: relay.database, configuration: relay.configuration)
    }

    @Test("typed producer settings that weaken the relay are refused, at init and when changed after it")
    func weakeningTypedSettingsRefused() throws {
        var weak = Self.producer([:])
        weak.enableIdempotence = false
        #expect(throws: OutboxError.self) { try OutboxRelayConfiguration(producer: weak) }
        weak = Self.producer([:])
        weak.acks = .leader
        #expect(throws: OutboxError.self) { try OutboxRelayConfiguration(producer: weak) }
        weak = Self.producer([:])
        weak.messageTimeout = .seconds(30)
        #expect(throws: OutboxError.self) { try OutboxRelayConfiguration(producer: weak) }
        var configuration = try OutboxRelayConfiguration(producer: Self.producer([:]))
        configuration.producer.client.rawProperties["acks"] = "1"
        #expect(throws: OutboxError.self) {
            try OutboxRelay(
                database: .init(host: "127.0.0.1", port: 1, user: "x", database: "x"), configuration: configuration)
        }
    }

    @Test("choreo relay refuses --kafka-property and CHOREO_KAFKA_* that weaken it, before connecting")
    func cliRefusesWeakeningProperties() async throws {
        let flag = try await ProcessRun.choreo([
            "relay", "--database-url", "postgresql://nobody@127.0.0.1:1/x", "--bootstrap-servers", "127.0.0.1:9",
            "--kafka-property", "acks=1", "--no-migrate",
        ])
        #expect(flag.status != 0)
        #expect(flag.stderr.contains("acks"))
        let environment = try await ProcessRun.choreo(
            [
                "relay", "--database-url", "postgresql://nobody@127.0.0.1:1/x", "--bootstrap-servers",
                "127.0.0.1:9", "--no-migrate",
            ],
            environment: ["CHOREO_KAFKA_ENABLE_IDEMPOTENCE": "false"])
        #expect(environment.status != 0)
        #expect(environment.stderr.contains("enable.idempotence"))
    }

    @Test(
        "choreo relay: non-finite, negative or huge durations exit 64 naming the flag",
        arguments: [
            ("--keep-delivered-hours", "nan"), ("--keep-delivered-hours", "inf"), ("--keep-delivered-hours", "1e300"),
            ("--keep-delivered-hours", "-1"), ("--shutdown-grace", "nan"), ("--shutdown-grace", "-1"),
            ("--shutdown-grace", "inf"), ("--shutdown-grace", "1e300"),
        ])
    func badDurationFlags(flag: String, value: String) async throws {
        let run = try await ProcessRun.choreo([
            "relay", "--database-url", "postgresql://nobody@127.0.0.1:1/x", "--bootstrap-servers", "127.0.0.1:9",
            "--no-migrate", "\(flag)=\(value)",
        ])
        #expect(run.status == 64)
        #expect(run.stderr.contains(flag))
    }
}
