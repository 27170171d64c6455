import ChoreoTestSupport
import Contracts
import Foundation
import Testing

/// Fixture contract sets written to temporary directories.
enum Fixture {
    static func schema(
        title: String = "t", description: String = "d", properties: String, required: [String],
        examples: String
    ) -> String {
        """
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "\(title)", "description": "\(description)",
         "type": "object", "properties": {\(properties)}, "required": [\(required.map { "\"\($0)\"" }.joined(separator: ","))],
         "examples": [\(examples)]}
        """
    }

    static let v1 = schema(properties: #""id": {"type": "string"}"#, required: ["id"], examples: #"{"id": "a"}"#)
    static let v2 = schema(properties: #""id": {"type": "integer"}"#, required: ["id"], examples: #"{"id": 1}"#)

    static func registry(_ files: [String: String]) throws -> (ContractRegistry, URL) {
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-contract-fixture-\(UUID())")
        for (path, text) in files {
            let url = root.appending(path: path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return (try ContractRegistry(directory: root), root)
    }

    static func rules(_ problems: [ContractProblem]) -> Set<String> { Set(problems.map(\.rule)) }
}

@Suite("Contract rules, lock file and SHA-256")
struct ContractRulesTests {
    @Test("SHA-256 matches the FIPS test vectors")
    func sha256Vectors() {
        #expect(ContractLock.make(ContractRegistry(contracts: [])).hashes.isEmpty)
        let vectors = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ]
        for (input, expected) in vectors {
            #expect(ContractLock.sha256Hex(Array(input.utf8)) == expected)
        }
    }

    @Test("the lock catches an edited published version, an unlocked one and a removed one")
    func lock() throws {
        let (registry, root) = try Fixture.registry(["a.b/v1.schema.json": Fixture.v1])
        let lock = ContractLock.make(registry)
        #expect(lock.check(registry).isEmpty)
        #expect(Fixture.rules(ContractLock().check(registry)) == ["unlocked-version"])
        try Fixture.v1.replacingOccurrences(of: "\"t\"", with: "\"edited\"")
            .write(to: root.appending(path: "a.b/v1.schema.json"), atomically: true, encoding: .utf8)
        let edited = try ContractRegistry(directory: root)
        #expect(Fixture.rules(lock.check(edited)) == ["immutable-published-version"])
        let (other, _) = try Fixture.registry(["c.d/v1.schema.json": Fixture.v1])
        #expect(Fixture.rules(lock.check(other)).contains("published-version-removed"))
        // Round trip through the file format.
        let file = root.appending(path: ContractLock.fileName)
        try lock.rendered().write(to: file, atomically: true, encoding: .utf8)
        #expect(try ContractLock.load(file) == lock)
    }

    @Test("each rule fails on its fixture and passes on a good one")
    func rules() throws {
        let (good, _) = try Fixture.registry(["a.b/v1.schema.json": Fixture.v1, "a.b/v2.schema.json": Fixture.v2])
        #expect(ContractRules.check(good).isEmpty)
        let (gap, _) = try Fixture.registry(["a.b/v1.schema.json": Fixture.v1, "a.b/v3.schema.json": Fixture.v2])
        #expect(Fixture.rules(ContractRules.check(gap)) == ["version-gap"])
        let (needless, _) = try Fixture.registry(["a.b/v1.schema.json": Fixture.v1, "a.b/v2.schema.json": Fixture.v1])
        #expect(Fixture.rules(ContractRules.check(needless)) == ["needless-major-version"])
        let badExample = Fixture.schema(
            properties: #""id": {"type": "string"}"#, required: ["id"], examples: #"{"id": 5}"#)
        let (examples, _) = try Fixture.registry(["a.b/v1.schema.json": badExample])
        let exampleProblems = ContractRules.check(examples)
        #expect(Fixture.rules(exampleProblems) == ["examples"])
        #expect(exampleProblems.first?.pointer == "/examples/0/id")
        let noExamples = Fixture.schema(properties: #""id": {"type": "string"}"#, required: ["id"], examples: "")
        #expect(
            Fixture.rules(ContractRules.check(try Fixture.registry(["a.b/v1.schema.json": noExamples]).0)) == [
                "examples"
            ])
        let undocumented = Fixture.schema(
            title: "", properties: #""id": {"type": "string"}"#, required: ["id"], examples: #"{"id": "a"}"#)
        #expect(
            Fixture.rules(ContractRules.check(try Fixture.registry(["a.b/v1.schema.json": undocumented]).0)) == [
                "documented"
            ])
        let array = #"{"title": "t", "description": "d", "type": "array", "examples": [[]]}"#
        #expect(
            Fixture.rules(ContractRules.check(try Fixture.registry(["a.b/v1.schema.json": array]).0)) == ["object-root"]
        )
    }

    @Test("cross-checks: types named by topics and consumers need contracts and a topic that carries them")
    func crossChecks() throws {
        let (registry, _) = try Fixture.registry(["a.b/v1.schema.json": Fixture.v1, "a.b/v2.schema.json": Fixture.v2])
        let topics = [(file: "topics/x.events.yaml", name: "x.events", eventTypes: ["a.b.v1"])]
        let fine = ContractRules.crossCheck(
            registry, topics: topics, consumers: [(file: "consumers/g.yaml", topics: ["x.events"], handles: ["a.b.v2"])]
        )
        #expect(fine.isEmpty, "v1 on the topic upcasts to the handled v2")
        let missing = ContractRules.crossCheck(
            registry, topics: [(file: "topics/x.events.yaml", name: "x.events", eventTypes: ["no.such.v1"])],
            consumers: [(file: "consumers/g.yaml", topics: ["x.events"], handles: ["nope.v1"])])
        #expect(missing.map(\.rule) == ["missing-contract", "missing-contract"])
        let unreachable = ContractRules.crossCheck(
            registry, topics: topics,
            consumers: [(file: "consumers/g.yaml", topics: ["other.events"], handles: ["a.b.v1"])])
        #expect(unreachable.map(\.rule) == ["no-topic-for-handled-type"])
    }
}
