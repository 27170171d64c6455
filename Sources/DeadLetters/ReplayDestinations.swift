import Consumers
import Contracts
import Foundation
import Topics

/// Where a replay may go, from `consumers/*.yaml` and `topics/*.yaml` only, never from a
/// stored header alone: the failed group's `<group>.replay` topic (the default: only that
/// group sees it), or the original topic (every subscriber sees it).
public struct ReplayDestinations: Sendable {
    public let groups: [String: ConsumerGroupSpec]
    public let catalog: TopicCatalog

    public init(groups: [ConsumerGroupSpec], catalog: TopicCatalog) {
        self.groups = Dictionary(groups.map { ($0.group, $0) }, uniquingKeysWith: { first, _ in first })
        self.catalog = catalog
    }

    /// The destination topic of `record`.
    /// - Throws: `DeadLetterError.undeclaredDestination` when the group is not declared, the
    ///   group does not handle the type, or the original topic is not declared or does not
    ///   carry the type; `.refused` when the event is older than a receiving group's
    ///   `processedRetention` and `force` is false.
    public func destination(of record: DeadLetterRecord, toOriginalTopic: Bool, force: Bool, now: Date = Date())
        throws -> String
    {
        func refuse(_ message: String) -> DeadLetterError {
            DeadLetterError(code: .undeclaredDestination, message: "record \(record.id): \(message)")
        }
        guard let spec = groups[record.group] else {
            throw refuse("group \(record.group) is not declared in consumers/; nothing may receive its replay")
        }
        guard let type = record.fullType else {
            throw refuse("the dead letter has no ce_type, so no destination can be shown to carry it")
        }
        guard toOriginalTopic else {
            guard spec.handles.contains(where: { EventType(parsing: $0)?.name == type.name }) else {
                throw refuse("group \(spec.group) does not handle \(type.name) (consumers/\(spec.file))")
            }
            return RetryPolicy.replayTopic(group: spec.group)
        }
        let topic = record.sourceTopic
        guard let declared = catalog.topic(named: topic), declared.kind == .events || declared.kind == .commands
        else {
            throw refuse("the original topic \(topic) is not declared as an events or commands topic in topics/")
        }
        guard declared.eventTypes.contains(type.description) else {
            throw refuse("topic \(topic) does not carry \(type) (topics/\(topic).yaml eventTypes)")
        }
        let eventTime = record.eventTime ?? record.failedAt
        for receiver in groups.values.sorted(by: { $0.group < $1.group })
        where receiver.topics.contains(topic) && receiver.handles.contains(where: { $0.hasPrefix(type.name + ".v") }) {
            let retention = try receiver.retention()
            if !force && now.timeIntervalSince(eventTime) > retention.seconds {
                throw DeadLetterError(
                    code: .refused,
                    message:
                        "record \(record.id): the event is older than \(receiver.group)'s processedRetention, which may no longer remember applying it; pass --force to replay it to \(topic) anyway"
                )
            }
        }
        return topic
    }
}
