import Foundation
import Testing
import Topics

@Suite("Topic catalog (topics/*.yaml)")
struct TopicCatalogTests {
    static let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func temporaryDirectory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appending(path: "choreo-topics-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: directory.appending(path: name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test("the repository's topics parse, follow the naming rules, and every event type has a contract file")
    func repositoryTopics() throws {
        let catalog = try TopicCatalog.load(directory: Self.repositoryRoot.appending(path: "topics"))
        #expect(catalog.topics.count >= 6)
        for spec in catalog.topics {
            #expect(spec.problems().isEmpty, "\(spec.name)")
        }
        for type in catalog.eventTypes {
            let range = try #require(type.range(of: ".v", options: .backwards))
            let file = Self.repositoryRoot.appending(
                path: "contracts/\(type[..<range.lowerBound])/v\(type[range.upperBound...]).schema.json")
            #expect(FileManager.default.fileExists(atPath: file.path), "\(type) has no contract file")
        }
        #expect(catalog.topic(carrying: "order.placed.v2")?.name == "orders.events")
        // Overrides kept by hand (fewer partitions than derived); the others are derived.
        #expect(catalog.topic(named: "audit-log.retry.10s")?.kind == .retry)
        #expect(catalog.topic(named: "audit-log.dlq")?.kind == .deadLetter)
        #expect(catalog.topic(named: "inventory-service.dlq") == nil)
    }

    @Test("bad specs give the file and the field to fix")
    func badSpecs() throws {
        let cases: [(String, String)] = [
            ("name: orders.events\nkind: events\npartitions: 0\neventTypes: [a.b.v1]\n", "partitions: must be 1…10000"),
            ("name: orders\nkind: events\npartitions: 3\neventTypes: [a.b.v1]\n", "<context>.events"),
            ("name: g.retry.soon\nkind: retry\npartitions: 1\n", "<group>.retry.<delay>"),
            ("name: g.dead\nkind: dead-letter\npartitions: 1\n", "<group>.dlq"),
            ("name: x.events\nkind: events\npartitions: 1\neventTypes: [order.placed]\n", "not a type with version"),
            ("name: bad name!.events\nkind: events\npartitions: 1\neventTypes: [a.v1]\n", "legal Kafka topic name"),
            ("kind: events\npartitions: 1\n", "name: required field is missing"),
            ("name: [unclosed\n", "not a topic spec"),
            ("name: x.events\nkind: stream\npartitions: 1\neventTypes: [a.v1]\n", "kind: 'stream'"),
        ]
        for (text, expected) in cases {
            let directory = try Self.temporaryDirectory(["broken.yaml": text])
            do {
                _ = try TopicCatalog.load(directory: directory)
                Issue.record("accepted: \(text)")
            } catch let error as TopicError {
                #expect(error.file == "broken.yaml")
                #expect(error.message.contains(expected), "\(error.message) should mention \(expected)")
            }
        }
    }

    @Test("duplicate names and a type carried by two topics are refused")
    func duplicates() throws {
        let spec = "name: a.events\nkind: events\npartitions: 1\neventTypes: [x.happened.v1]\n"
        let twice = try Self.temporaryDirectory(["one.yaml": spec, "two.yaml": spec])
        #expect(throws: TopicError.self) { try TopicCatalog.load(directory: twice) }
        let shared = try Self.temporaryDirectory([
            "one.yaml": spec, "two.yaml": "name: b.events\nkind: events\npartitions: 1\neventTypes: [x.happened.v1]\n",
        ])
        #expect(throws: TopicError.self) { try TopicCatalog.load(directory: shared) }
    }
}

@Suite("Topic plan (pure diff)")
struct TopicPlanTests {
    let spec = TopicSpec(
        name: "orders.events", kind: .events, partitions: 6, replicationFactor: 3,
        configs: ["retention.ms": "604800000", "cleanup.policy": "delete"], eventTypes: ["order.placed.v1"])

    func existing(partitions: Int = 6, rf: Int = 3, configs: [String: String]? = nil) -> ExistingTopic {
        ExistingTopic(
            name: "orders.events", partitions: partitions, replicationFactor: rf,
            configs: configs ?? [
                "retention.ms": "604800000", "cleanup.policy": "delete", "segment.bytes": "1073741824",
            ])
    }

    @Test("create when missing")
    func create() {
        let plan = TopicPlan.make(declared: [spec], existing: [])
        #expect(plan.actions == [.create(spec)])
        #expect(plan.description.contains("+ create orders.events (6 partitions, rf 3"))
    }

    @Test("grow partitions")
    func grow() {
        let plan = TopicPlan.make(declared: [spec], existing: [existing(partitions: 3)])
        #expect(plan.actions == [.addPartitions(topic: "orders.events", from: 3, to: 6)])
        #expect(plan.problems.isEmpty)
    }

    @Test("config change; undeclared broker configs are not drift")
    func configChange() {
        let plan = TopicPlan.make(
            declared: [spec],
            existing: [existing(configs: ["retention.ms": "1000", "cleanup.policy": "delete", "x": "y"])])
        #expect(
            plan.actions == [
                .alterConfigs(
                    topic: "orders.events", changes: [.init(key: "retention.ms", old: "1000", new: "604800000")])
            ])
    }

    @Test("shrinking is refused and said so")
    func shrink() {
        let plan = TopicPlan.make(declared: [spec], existing: [existing(partitions: 12)])
        #expect(plan.actions.isEmpty)
        #expect(plan.problems == [.cannotShrink(topic: "orders.events", from: 12, to: 6)])
        #expect(plan.description.contains("cannot shrink partitions 12 → 6"))
    }

    @Test("replication factor differences are reported, not changed")
    func replicationFactor() {
        let plan = TopicPlan.make(declared: [spec], existing: [existing(rf: 1)])
        #expect(plan.problems == [.replicationFactorDiffers(topic: "orders.events", existing: 1, declared: 3)])
    }

    @Test("nothing to do, and undeclared topics are unmanaged, never deleted")
    func nothingToDo() {
        let plan = TopicPlan.make(
            declared: [spec],
            existing: [
                existing(), ExistingTopic(name: "legacy", partitions: 1, replicationFactor: 1, configs: [:]),
                ExistingTopic(name: "__consumer_offsets", partitions: 50, replicationFactor: 1, configs: [:]),
            ])
        #expect(plan.nothingToDo)
        #expect(plan.unmanaged == ["legacy"])
        #expect(plan.description.contains("nothing to do"))
    }
}
