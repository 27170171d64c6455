import Consumers
import Kafka

/// What `DeadLetterWorker` consumes and how.
public struct DeadLetterWorkerConfiguration: Sendable {
    /// The declared groups: the worker reads each one's dead-letter topic and applies its
    /// `deadLetters.redrive` rules.
    public var groups: [ConsumerGroupSpec]
    public var kafka: KafkaConfiguration
    /// The worker's Kafka group id (`group.id`); default `choreo-dlq-worker`.
    public var consumerGroupID = "choreo-dlq-worker"
    /// Messages per poll and per store transaction.
    public var batchSize = 500
    public var pollTimeout: Duration = .milliseconds(200)
    /// How often due re-drives are looked for.
    public var redriveInterval: Duration = .seconds(1)
    /// How often the `choreo_dead_letters` gauge is read from the store (also after each
    /// stored batch).
    public var gaugeInterval: Duration = .seconds(5)
    /// `session.timeout.ms`.
    public var sessionTimeout: Duration = .seconds(10)
    /// Waits after a failed store transaction double up to this.
    public var maximumBackoff: Duration = .seconds(10)

    public init(groups: [ConsumerGroupSpec], kafka: KafkaConfiguration) {
        self.groups = groups
        self.kafka = kafka
    }

    /// Each group's dead-letter topic (the spec's `deadLetterTopic`, else `<group>.dlq`).
    public var deadLetterTopics: [String] { Array(Set(groups.map(\.resolvedDeadLetterTopic))).sorted() }

    /// The re-drive rules by group and reason.
    /// - Throws: `ConsumerError` naming the spec field to fix.
    public func redriveRules() throws -> [String: [String: RedriveRule]] {
        var rules: [String: [String: RedriveRule]] = [:]
        for spec in groups { rules[spec.group] = try spec.redriveRules() }
        return rules
    }
}
