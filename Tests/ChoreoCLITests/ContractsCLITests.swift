import ChoreoTestSupport
import Foundation
import Testing

@Suite("choreo contracts check / validate")
struct ContractsCLITests {
    @Test("check passes on the repository and fails with the rule on a broken copy")
    func check() async throws {
        let ok = try await CLI.run(["contracts", "check"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        // A copy of the project whose published order.placed.v1 was edited.
        let copy = FileManager.default.temporaryDirectory.appending(path: "choreo-contracts-check-\(UUID())")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for folder in ["contracts", "topics", "consumers"] {
            try FileManager.default.copyItem(
                at: CLI.repositoryRoot.appending(path: folder), to: copy.appending(path: folder))
        }
        let file = copy.appending(path: "contracts/order.placed/v1.schema.json")
        let edited = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: "\"maxItems\": 100", with: "\"maxItems\": 99")
        try edited.write(to: file, atomically: true, encoding: .utf8)
        try "group: g\nservice: event-log\ntopics: [orders.events]\nhandles: [no.such.v1]\n"
            .write(to: copy.appending(path: "consumers/g.yaml"), atomically: true, encoding: .utf8)
        let broken = try await CLI.run(["contracts", "check", "--root", copy.path])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("contracts/order.placed/v1.schema.json: [immutable-published-version]"))
        #expect(broken.stdout.contains("consumers/g.yaml#/handles: [missing-contract]"))
    }

    @Test("validate exits 0 when valid, 1 with errors when not, 2 when the schema is unusable")
    func validate() async throws {
        let valid = try await CLI.run([
            "contracts", "validate", "payment.failed", "--data",
            #"{"orderId":"5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10","customerId":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0","amount":1.5,"reason":"insufficient-credit","failedAt":"2026-11-23T10:00:00Z"}"#,
        ])
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
        let invalid = try await CLI.run([
            "contracts", "validate", "payment.failed", "--version", "1", "--data", #"{"reason":"bored"}"#,
        ])
        #expect(invalid.status == 1)
        #expect(invalid.stdout.contains("/reason: enum"))
        #expect(invalid.stdout.contains("/: required: missing required property 'orderId'"))
        let unknown = try await CLI.run(["contracts", "validate", "no.such", "--data", "{}"])
        #expect(unknown.status == 2)
        let schema = FileManager.default.temporaryDirectory.appending(path: "bad-schema-\(UUID()).json")
        try #"{"minLength": -1}"#.write(to: schema, atomically: true, encoding: .utf8)
        let unusable = try await CLI.run(["contracts", "validate", "--schema", schema.path, "--data", "\"x\""])
        #expect(unusable.status == 2)
        #expect(unusable.stderr.contains("minLength"))
    }
}

@Suite("choreo contracts: hostile schemas")
struct ContractsHostileSchemaCLITests {
    @Test(
        "validate with a $ref cycle exits 2 with the reason instead of crashing",
        arguments: [
            ##"{"$ref":"#"}"##, ##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##,
        ])
    func refCycle(_ schemaText: String) async throws {
        let schema = FileManager.default.temporaryDirectory.appending(path: "cycle-schema-\(UUID()).json")
        try schemaText.write(to: schema, atomically: true, encoding: .utf8)
        let run = try await CLI.run(["contracts", "validate", "--schema", schema.path, "--data", "{}"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("$ref cycle that consumes no input"))
    }

    @Test("check reports a contract pattern outside the linear-time subset, naming it")
    func refusedPattern() async throws {
        let copy = FileManager.default.temporaryDirectory.appending(path: "choreo-pattern-check-\(UUID())")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for folder in ["contracts", "topics", "consumers"] {
            try FileManager.default.copyItem(
                at: CLI.repositoryRoot.appending(path: folder), to: copy.appending(path: folder))
        }
        let file = copy.appending(path: "contracts/order.placed/v1.schema.json")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(#""pattern": "^[A-Z0-9-]{3,32}$""#))
        try text.replacingOccurrences(
            of: #""pattern": "^[A-Z0-9-]{3,32}$""#, with: #""pattern": "^(?=S)[A-Z0-9-]{3,32}$""#
        )
        .write(to: file, atomically: true, encoding: .utf8)
        let run = try await CLI.run(["contracts", "check", "--root", copy.path])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("'^(?=S)[A-Z0-9-]{3,32}$' is refused: lookahead"), "\(run.stdout)")
    }
}
