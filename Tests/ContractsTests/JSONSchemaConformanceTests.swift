import Contracts
import Foundation
import Testing

/// Runs every case of the official JSON Schema Test Suite files (draft 2020-12) in
/// `Fixtures/json-schema-test-suite`, including the format assertions.
@Suite("JSON Schema Test Suite (draft 2020-12)")
struct JSONSchemaConformanceTests {
    struct Case: CustomStringConvertible {
        var file: String
        var group: String
        var test: String
        var schema: JSONValue
        var data: JSONValue
        var valid: Bool
        var description: String { "\(file) | \(group) | \(test)" }
    }

    static let fixtures = Bundle.module.resourceURL?.appending(path: "Fixtures") ?? URL(filePath: "/nonexistent")

    static func loadCases() throws -> [Case] {
        let root = fixtures.appending(path: "json-schema-test-suite/draft2020-12")
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let url = enumerator?.nextObject() as? URL {
            if url.pathExtension == "json" { files.append(url) }
        }
        var cases: [Case] = []
        for file in files.sorted(by: { $0.path < $1.path }) {
            let name = file.path.replacingOccurrences(of: root.path + "/", with: "")
            let document = try JSONValue(parsing: Array(try Data(contentsOf: file)))
            for group in document.arrayValue ?? [] {
                let groupName = group["description"]?.stringValue ?? "?"
                for test in group["tests"]?.arrayValue ?? [] {
                    guard case .bool(let valid) = test["valid"] else { continue }
                    cases.append(
                        Case(
                            file: name, group: groupName, test: test["description"]?.stringValue ?? "?",
                            schema: group["schema"] ?? .null, data: test["data"] ?? .null, valid: valid))
                }
            }
        }
        return cases
    }

    static func skipped() throws -> [(file: String, group: String, test: String)] {
        let text = try String(contentsOf: fixtures.appending(path: "skipped-cases.txt"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            let parts = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 3 else { return nil }
            return (parts[0], parts[1], parts[2])
        }
    }

    /// Whether the validator gets `testCase` right (compile failures count as wrong).
    static func passes(_ testCase: Case) -> Bool {
        guard let schema = try? JSONSchema(testCase.schema) else { return false }
        return schema.isValid(testCase.data) == testCase.valid
            && schema.validate(testCase.data).isEmpty == testCase.valid
    }

    @Test("every case passes except the listed remote-reference cases, and every listed case still needs skipping")
    func suite() throws {
        let cases = try Self.loadCases()
        let skips = try Self.skipped()
        #expect(cases.count > 1_000, "the suite files were found")
        var passed = 0
        var skippedCount = 0
        for testCase in cases {
            let isSkipped = skips.contains {
                $0.file == testCase.file && $0.group == testCase.group && ($0.test == "*" || $0.test == testCase.test)
            }
            if isSkipped {
                skippedCount += 1
                continue
            }
            if Self.passes(testCase) {
                passed += 1
            } else {
                Issue.record("failed: \(testCase)")
            }
        }
        // A listed group must still fail somewhere, or its listing is stale.
        for skip in skips {
            let listed = cases.filter {
                $0.file == skip.file && $0.group == skip.group && (skip.test == "*" || $0.test == skip.test)
            }
            #expect(!listed.isEmpty, "skip entry matches no case: \(skip)")
            #expect(listed.contains { !Self.passes($0) }, "skip entry passes now; remove it: \(skip)")
        }
        print(
            "JSON Schema Test Suite: \(passed) passed, \(skippedCount) skipped (remote references), of \(cases.count)")
    }
}
