import Consumers
import Foundation
import Testing
import Topics

@Suite("Per-group retry, dead-letter and replay topics derived from consumers/")
struct DerivedGroupTopicsTests {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func derived(catalog: TopicCatalog) throws -> [TopicSpec] {
        try ConsumerGroupSpec.loadAll(repository.appending(path: "consumers")).flatMap { spec in
            DerivedGroupTopics(
                group: spec.group, subscribed: spec.topics,
                retryTopics: try spec.retryPolicy().delays.map { RetryPolicy.retryTopic(group: spec.group, delay: $0) },
                deadLetterTopic: spec.resolvedDeadLetterTopic, replayTopic: RetryPolicy.replayTopic(group: spec.group)
            ).specs(overriddenBy: catalog)
        }
    }

    /// Groups whose hand-written retry/dead-letter files chose fewer partitions than their
    /// widest subscribed topic: those files stay in topics/ as overrides.
    static let partitionOverrides: Set<String> = ["audit-log", "notifications-service"]

    @Test("the derivation reproduces the hand-written retry and dead-letter files (16 can go; 8 stay as overrides)")
    func matchesHandWritten() throws {
        let full = try TopicCatalog.load(directory: Self.repository.appending(path: "topics"))
        let handWritten = full.topics.filter { $0.kind == .retry || $0.kind == .deadLetter }
        #expect(handWritten.count == 24)
        let shared = try TopicCatalog(topics: full.topics.filter { $0.kind == .events || $0.kind == .commands })
        let derived = try Self.derived(catalog: shared)
        for topic in handWritten {
            let match = try #require(derived.first { $0.name == topic.name }, "\(topic.name) is derived")
            let group = String(topic.name.prefix { $0 != "." })
            #expect(match.kind == topic.kind, "\(topic.name)")
            #expect(
                (match.partitions == topic.partitions) != Self.partitionOverrides.contains(group),
                "\(topic.name): \(match.partitions) derived, \(topic.partitions) by hand")
            #expect(
                match.replicationFactor == topic.replicationFactor && match.configs == topic.configs, "\(topic.name)")
        }
        let replays = derived.filter { $0.kind == .replay }.map(\.name)
        #expect(replays.contains("orders-service.replay") && replays.count == 6)
    }

    @Test("a file in topics/ overrides the derived spec")
    func override() throws {
        let full = try TopicCatalog.load(directory: Self.repository.appending(path: "topics"))
        let derived = try Self.derived(catalog: full)
        #expect(
            derived.allSatisfy { $0.kind == .replay }, "every retry and dead-letter topic is declared by hand today")
    }
}
