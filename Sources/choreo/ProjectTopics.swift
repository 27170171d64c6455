import Consumers
import Topics

/// Every topic the project needs: `topics/*.yaml`, plus each group's retry, dead-letter
/// and replay topics derived from `consumers/*.yaml` (a file in `topics/` overrides).
enum ProjectTopics {
    static func all(catalog: TopicCatalog, root: ProjectRoot) throws -> [TopicSpec] {
        let specs = try ConsumerGroupSpec.loadAll(root.consumers)
        var derived: [TopicSpec] = []
        for spec in specs {
            let needs = DerivedGroupTopics(
                group: spec.group, subscribed: spec.topics,
                retryTopics: try spec.retryPolicy().delays.map { RetryPolicy.retryTopic(group: spec.group, delay: $0) },
                deadLetterTopic: spec.resolvedDeadLetterTopic, replayTopic: RetryPolicy.replayTopic(group: spec.group))
            for topic in needs.specs(overriddenBy: catalog) where !derived.contains(where: { $0.name == topic.name }) {
                derived.append(topic)
            }
        }
        return (catalog.topics + derived).sorted { $0.name < $1.name }
    }
}
