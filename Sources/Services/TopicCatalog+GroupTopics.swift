import Consumers
import Topics

extension TopicCatalog {
    /// Every topic a project needs: these declared topics, plus each group's retry,
    /// dead-letter and replay topics derived from its spec (`DerivedGroupTopics`; a declared
    /// topic of the same name overrides the derived one), sorted by name.
    public func withGroupTopics(of groups: [ConsumerGroupSpec]) throws -> [TopicSpec] {
        var derived: [TopicSpec] = []
        for spec in groups {
            let needs = DerivedGroupTopics(
                group: spec.group, subscribed: spec.topics,
                retryTopics: try spec.retryPolicy().delays.map { RetryPolicy.retryTopic(group: spec.group, delay: $0) },
                deadLetterTopic: spec.resolvedDeadLetterTopic, replayTopic: RetryPolicy.replayTopic(group: spec.group))
            for topic in needs.specs(overriddenBy: self) where !derived.contains(where: { $0.name == topic.name }) {
                derived.append(topic)
            }
        }
        return (topics + derived).sorted { $0.name < $1.name }
    }
}
