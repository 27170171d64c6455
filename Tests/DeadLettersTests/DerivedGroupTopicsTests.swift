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

    @Test(
        "topics/ keeps only the retry and dead-letter files that override the derivation; every other group's are derived"
    )
    func onlyOverridesStay() throws {
        let full = try TopicCatalog.load(directory: Self.repository.appending(path: "topics"))
        let handWritten = full.topics.filter { $0.kind == .retry || $0.kind == .deadLetter }
        #expect(handWritten.count == 8)
        let shared = try TopicCatalog(topics: full.topics.filter { $0.kind == .events || $0.kind == .commands })
        let withoutOverrides = try Self.derived(catalog: shared)
        for topic in handWritten {
            let group = String(topic.name.prefix { $0 != "." })
            #expect(Self.partitionOverrides.contains(group), "\(topic.name) is an override")
            let match = try #require(withoutOverrides.first { $0.name == topic.name }, "\(topic.name) is derived")
            #expect(match.kind == topic.kind && match.partitions != topic.partitions, "\(topic.name)")
        }
        let derived = try Self.derived(catalog: full)
        let specs = try ConsumerGroupSpec.loadAll(Self.repository.appending(path: "consumers"))
        for spec in specs where !Self.partitionOverrides.contains(spec.group) {
            for delay in try spec.retryPolicy().delays {
                let name = RetryPolicy.retryTopic(group: spec.group, delay: delay)
                #expect(derived.contains { $0.name == name && $0.kind == .retry }, "\(name)")
            }
            #expect(derived.contains { $0.name == spec.resolvedDeadLetterTopic && $0.kind == .deadLetter })
        }
        let replays = derived.filter { $0.kind == .replay }.map(\.name)
        #expect(replays.contains("orders-service.replay") && replays.count == 6)
    }

    @Test("a file in topics/ overrides the derived spec")
    func override() throws {
        let full = try TopicCatalog.load(directory: Self.repository.appending(path: "topics"))
        let derived = try Self.derived(catalog: full)
        let overridden = full.topics.filter { $0.kind == .retry || $0.kind == .deadLetter }.map(\.name)
        #expect(!overridden.isEmpty)
        #expect(derived.allSatisfy { !overridden.contains($0.name) }, "a declared file wins over the derivation")
    }
}
