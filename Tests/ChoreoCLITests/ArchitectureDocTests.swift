import ChoreoTestSupport
import Foundation
import Testing
import Topics

@Suite("docs/architecture.md stands on its own and its flow section is generated")
struct ArchitectureDocTests {
    static let document = CLI.repositoryRoot.appending(path: "docs/architecture.md")

    @Test("the checked-in flow section equals `choreo docs flow` for the repository's topics/ and consumers/")
    func flowSectionIsCurrent() async throws {
        let run = try await CLI.run(["docs", "flow"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("```mermaid\nflowchart LR\n"))
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        let section = try #require(
            GeneratedSection.flow.extract(from: text),
            "docs/architecture.md lacks the lines \(GeneratedSection.flow.begin) and \(GeneratedSection.flow.end)")
        #expect(
            section == run.stdout,
            "docs/architecture.md's flow section is stale: regenerate it with `swift run choreo docs flow --write` (or .build/debug/choreo docs flow --write) and commit"
        )
        let check = try await CLI.run(["docs", "flow", "--check"])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test("--check fails on a stale section and says how to regenerate; --write brings it up to date")
    func checkAndWrite() async throws {
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-docs-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appending(path: "docs"), withIntermediateDirectories: true)
        for directory in ["topics", "consumers"] {
            try FileManager.default.copyItem(
                at: CLI.repositoryRoot.appending(path: directory), to: root.appending(path: directory))
        }
        let stale = "# Doc\n\(GeneratedSection.flow.begin)\nold\n\(GeneratedSection.flow.end)\nafter\n"
        let copy = root.appending(path: "docs/architecture.md")
        try stale.write(to: copy, atomically: true, encoding: .utf8)

        let check = try await CLI.run(["docs", "flow", "--check", "--root", root.path])
        #expect(check.status == 1)
        #expect(check.stderr.contains("choreo docs flow --write"))

        let write = try await CLI.run(["docs", "flow", "--write", "--root", root.path])
        #expect(write.status == 0, "\(write.stderr)")
        let written = try String(contentsOf: copy, encoding: .utf8)
        #expect(written.hasPrefix("# Doc\n\(GeneratedSection.flow.begin)\n```mermaid\n"))
        #expect(written.hasSuffix("\(GeneratedSection.flow.end)\nafter\n"))
        let recheck = try await CLI.run(["docs", "flow", "--check", "--root", root.path])
        #expect(recheck.status == 0, "\(recheck.stderr)")
    }

    @Test("every link of docs/architecture.md resolves inside the repository; none points outside it")
    func linksStayInside() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        #expect(
            !text.contains("shared/design"), "the page must not send readers to the design page outside the repository")
        let docs = Self.document.deletingLastPathComponent()
        var targets: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "]("), let close = rest[open.upperBound...].firstIndex(of: ")") {
            targets.append(String(rest[open.upperBound..<close]))
            rest = rest[close...]
        }
        #expect(targets.count >= 8)
        for target in targets where !target.hasPrefix("#") {
            #expect(!target.contains("://"), "\(target): external link")
            let file = docs.appending(path: String(target.split(separator: "#").first ?? ""))
            #expect(FileManager.default.fileExists(atPath: file.path), "\(target) does not exist")
            #expect(
                file.standardizedFileURL.path.hasPrefix(CLI.repositoryRoot.standardizedFileURL.path),
                "\(target) leaves the repository")
        }
    }
}
