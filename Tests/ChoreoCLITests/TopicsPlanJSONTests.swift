import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Testing
import Topics

@Suite("choreo topics plan --json")
struct TopicsPlanJSONTests {
    @Test("one JSON object per action: against an empty broker, every declared topic is one create line")
    func planAsJSONLines() async throws {
        // The embedded broker has no DescribeConfigs, so only an empty one can be planned against.
        let catalog = try TopicCatalog.load(directory: CLI.repositoryRoot.appending(path: "topics"))
        try await withEmbeddedKafka(brokers: 1) { broker in
            let json = try await CLI.run([
                "topics", "plan", "--json", "--root", CLI.repositoryRoot.path, "--bootstrap-servers",
                broker.bootstrapServers,
            ])
            #expect(json.status == 0, "stderr: \(json.stderr)")
            let lines = try json.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            #expect(lines.allSatisfy { $0["kind"]?.stringValue == "action" && $0["action"]?.stringValue == "create" })
            let created = Dictionary(
                uniqueKeysWithValues: lines.compactMap { line -> (String, JSONValue)? in
                    line["topic"]?.stringValue.map { ($0, line["partitions"] ?? .null) }
                })
            // Every declared topic, plus each group's derived dead-letter and replay topics.
            let groups = try ConsumerGroupSpec.loadAll(CLI.repositoryRoot.appending(path: "consumers"))
            for spec in groups {
                #expect(created[spec.resolvedDeadLetterTopic] != nil, "\(spec.resolvedDeadLetterTopic)")
                #expect(created[RetryPolicy.replayTopic(group: spec.group)] != nil, "\(spec.group).replay")
            }
            #expect(created.count > catalog.topics.count)
            for spec in catalog.topics {
                #expect(created[spec.name] == .number(.int(Int64(spec.partitions))), "\(spec.name)")
            }
        }
    }
}
