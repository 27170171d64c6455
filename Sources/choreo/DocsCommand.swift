import ArgumentParser
import Consumers
import Foundation
import Topics

/// `choreo docs`: documentation generated from the project's declarations.
struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "Generate documentation from topics/ and consumers/.",
        subcommands: [DocsFlowCommand.self]
    )
}

/// `choreo docs flow [--write | --check]`: who publishes and who consumes which event.
struct DocsFlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Print who publishes and who consumes which event (Mermaid diagram and table, Markdown).",
        discussion: """
            Publishers come from topics/ (the service named by an events topic's context publishes
            it; clients publish commands), consumers from consumers/*.yaml. --write replaces the
            section of docs/architecture.md between \(GeneratedSection.flow.begin) and \
            \(GeneratedSection.flow.end); --check exits 1 when that section is stale.
            """
    )

    @OptionGroup var root: RootOptions

    @Flag(help: "Replace the generated section of docs/architecture.md.")
    var write = false

    @Flag(help: "Exit 1 if the generated section of docs/architecture.md differs from the output.")
    var check = false

    func validate() throws {
        if write && check { throw ValidationError("--write and --check exclude each other") }
    }

    func run() throws {
        let project = root.projectRoot
        let flow: FlowDiagram
        do {
            let catalog = try TopicCatalog.load(directory: project.topics)
            let consumers = try ConsumerGroupSpec.loadAll(project.consumers).map {
                FlowDiagram.Consumer(group: $0.group, service: $0.service, topics: $0.topics, handles: $0.handles)
            }
            flow = FlowDiagram(catalog: catalog, consumers: consumers)
        } catch {
            throw CLI.failure(2, "\(error)")
        }
        guard write || check else {
            print(flow.markdown, terminator: "")
            return
        }
        let file = project.url.appending(path: "docs/architecture.md")
        guard let document = try? String(contentsOf: file, encoding: .utf8) else {
            throw CLI.failure(2, "cannot read \(file.path)")
        }
        if check {
            guard GeneratedSection.flow.extract(from: document) == flow.markdown else {
                throw CLI.failure(
                    1, "docs/architecture.md: the flow section is stale; regenerate it with `choreo docs flow --write`")
            }
            print("docs/architecture.md: the flow section is up to date")
            return
        }
        let updated: String
        do { updated = try GeneratedSection.flow.replace(in: document, with: flow.markdown) } catch {
            throw CLI.failure(2, "docs/architecture.md: \(error)")
        }
        if updated != document { try updated.write(to: file, atomically: true, encoding: .utf8) }
        print(
            updated == document
                ? "docs/architecture.md: already up to date" : "docs/architecture.md: flow section written")
    }
}
