import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Testing
import Topics

@Suite("choreo broker, publish and consume against the embedded broker")
struct PublishAndBrokerTests {
    static let order = """
        {"orderId":"5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10","customerId":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",\
        "items":[{"sku":"SKU-RED-42","quantity":2,"unitPrice":19.99}],"total":39.98,"placedAt":"2026-11-23T10:00:00Z"}
        """

    @Test("publish validates and publishes a CloudEvent an independent SDK reads; invalid data publishes nothing")
    func publishValidAndInvalid() async throws {
        let catalog = try TopicCatalog.load(directory: CLI.repositoryRoot.appending(path: "topics"))
        let topics = catalog.topics.map { ($0.name, $0.partitions) }
        try await withEmbeddedKafka(brokers: 1, topics: topics) { broker in
            let invalid = try await CLI.run([
                "publish", "order.placed", "--version", "1", "--key", "k1", "--data", #"{"orderId":"not-a-uuid"}"#,
                "--bootstrap-servers", broker.bootstrapServers,
            ])
            #expect(invalid.status == 1)
            #expect(invalid.stderr.contains("nothing published"))
            #expect(invalid.stderr.contains("/orderId: format"))
            let valid = try await CLI.run([
                "publish", "order.placed", "--version", "1", "--key", "5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10",
                "--data", Self.order, "--header", "x-tenant=acme", "--bootstrap-servers", broker.bootstrapServers,
            ])
            #expect(valid.status == 0, "stderr: \(valid.stderr)")
            #expect(valid.stdout.contains("to orders.events partition"))
            let id = try #require(
                valid.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
            let reader = TopicReader(bootstrapServers: broker.bootstrapServers, topic: "orders.events", partitions: 6)
            let messages = try await reader.read(count: 1, timeout: .seconds(10))
            #expect(messages.count == 1, "the invalid event was not published, the valid one was")
            #expect(messages.first?.header("x-tenant") == "acme")
            // An independent CloudEvents implementation (the Python SDK's Kafka binding) reads it.
            let python = try await CLI.runProcess(
                URL(filePath: "/usr/bin/env"),
                [
                    "python3", CLI.repositoryRoot.appending(path: "scripts/read-cloudevents.py").path,
                    broker.bootstrapServers, "orders.events", "1",
                ])
            try #require(python.status == 0, "python reader failed: \(python.stderr)")
            let line = try #require(python.stdout.split(separator: "\n").first)
            let decoded = try JSONValue(parsing: String(line))
            #expect(decoded["attributes"]?["id"]?.stringValue == id)
            #expect(decoded["attributes"]?["type"]?.stringValue == "order.placed.v1")
            #expect(decoded["attributes"]?["source"]?.stringValue == "/choreo/cli")
            #expect(decoded["attributes"]?["specversion"]?.stringValue == "1.0")
            #expect(decoded["data"]?["total"] == .number(.double(39.98)))
            // choreo consume prints it as a JSON line.
            let consumed = try await CLI.run([
                "consume", "orders.events", "--from-beginning", "--max", "1", "--bootstrap-servers",
                broker.bootstrapServers,
            ])
            #expect(consumed.status == 0)
            let printed = try JSONValue(parsing: consumed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(printed["id"]?.stringValue == id)
            #expect(printed["type"]?.stringValue == "order.placed.v1")
        }
    }

    @Test("publish to an unknown type or without a topic fails with a message saying what to fix")
    func publishBadInput() async throws {
        let unknown = try await CLI.run([
            "publish", "no.such", "--key", "k", "--data", "{}", "--bootstrap-servers", "127.0.0.1:1",
        ])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no contract for 'no.such'"))
        let notJSON = try await CLI.run([
            "publish", "order.placed", "--version", "1", "--key", "k", "--data", "{nope", "--bootstrap-servers",
            "127.0.0.1:1",
        ])
        #expect(notJSON.status == 1)
        #expect(notJSON.stderr.contains("not JSON"))
    }

    @Test(
        "choreo broker --topics topics/ serves every declared and derived topic with its partition count and prints its bootstrap first"
    )
    func brokerServesDeclaredTopics() async throws {
        let process = Process()
        process.executableURL = try ChoreoBinary.url()
        let stateRoot = FileManager.default.temporaryDirectory.appending(path: "choreo-broker-\(UUID())")
        try FileManager.default.createDirectory(at: stateRoot, withIntermediateDirectories: true)
        process.arguments = [
            "broker", "--brokers", "3", "--topics", CLI.repositoryRoot.appending(path: "topics").path, "--root",
            stateRoot.path,
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let bootstrap = await Task.detached { () -> String in
            var line = Data()
            while true {
                let byte = out.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty || byte == Data("\n".utf8) { break }
                line.append(byte)
            }
            return String(decoding: line, as: UTF8.self)
        }.value
        #expect(bootstrap.split(separator: ",").count == 3)
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        let metadata = try await admin.metadata(timeout: .seconds(10))
        #expect(metadata.brokers.count == 3)
        let catalog = try TopicCatalog.load(directory: CLI.repositoryRoot.appending(path: "topics"))
        for spec in catalog.topics {
            #expect(metadata.topic(spec.name)?.partitions.count == spec.partitions, "\(spec.name)")
        }
        // Each group's derived retry, dead-letter and replay topics too (consumers/ next to topics/).
        for name in ["orders-service.retry.1s", "orders-service.dlq", "orders-service.replay", "audit-log.replay"] {
            #expect(metadata.topic(name) != nil, "\(name) is derived and created")
        }
        // An outside client lists the brokers and the topics too.
        let kcat = try await CLI.runProcess(
            URL(filePath: "/usr/bin/env"), ["kcat", "-b", bootstrap, "-L"], timeout: .seconds(30))
        #expect(kcat.status == 0, "kcat: \(kcat.stderr)")
        #expect(kcat.stdout.contains(" 3 brokers:"), "kcat -L: \(kcat.stdout.prefix(300))")
        for spec in catalog.topics {
            #expect(kcat.stdout.contains("topic \"\(spec.name)\" with \(spec.partitions) partitions"), "\(spec.name)")
        }
        let state = try String(contentsOf: stateRoot.appending(path: ".choreo/dev-state.json"), encoding: .utf8)
        #expect(state.contains(bootstrap))
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: stateRoot.appending(path: ".choreo/dev-state.json").path))
    }

    @Test("version prints the choreo version; bad CLI input exits non-zero with a message")
    func versionAndBadInput() async throws {
        let version = try await CLI.run(["version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("choreo "))
        let relay = try await CLI.run([
            "relay", "--batch-size", "0", "--database-url", "postgresql://nobody@127.0.0.1:1/x",
        ])
        #expect(relay.status != 0)
        let badURL = try await CLI.run(["relay", "--database-url", "mysql://x"])
        #expect(badURL.status != 0)
        #expect(badURL.stderr.contains("postgresql://"))
        let consumer = try await CLI.run(["consumer", "run", "no-such-group"])
        #expect(consumer.status != 0)
        #expect(consumer.stderr.contains("no consumer group 'no-such-group'"))
    }
}
