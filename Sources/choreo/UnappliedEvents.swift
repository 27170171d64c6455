import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import Postgres

/// Events on the groups' topics that a group handles but never applied: not in its
/// processed-event table and not dead-lettered by it. Each is a lost event.
enum UnappliedEvents {
    struct Missing: Sendable, CustomStringConvertible {
        var group: String
        var topic: String
        var partition: Int32
        var offset: Int64
        var type: String
        var eventID: UUID
        var description: String { "\(group) \(topic)[\(partition)]@\(offset) \(type) \(UUIDText.lowercased(eventID))" }
    }

    /// - Parameters:
    ///   - groups: the group specs (topics, handled types, service).
    ///   - skip: (topic, partition, offset) of messages not to check (injected poison).
    ///   - deadLettered: (group, topic, partition, offset) of dead letters.
    ///   - connections: one per service database, by service name.
    static func find(
        groups: [ConsumerGroupSpec], skip: Set<String>, deadLettered: Set<String>,
        connections: [String: PostgresConnection], kafka: KafkaConfiguration, logger: Logger
    ) async throws -> [Missing] {
        let topics = Array(Set(groups.flatMap(\.topics)))
        let messages = try await TopicScan.readAll(topics: topics, kafka: kafka, logger: logger)
        var missing: [Missing] = []
        for group in groups {
            guard let connection = connections[group.service] else { continue }
            let handled = Set(group.handles.compactMap { EventType(parsing: $0)?.name })
            let rows = try await connection.query(
                "SELECT event_id FROM processed_events WHERE consumer_group = \(group.group)")
            let processed = Set(try rows.map { try $0.decode(UUID.self, column: 0) })
            for message in messages where group.topics.contains(message.topic) {
                let place = "\(message.topic)/\(message.partition)/\(message.offset)"
                guard !skip.contains(place), !deadLettered.contains("\(group.group)/\(place)"),
                    let envelope = try? EventEnvelope(kafkaHeaders: message.headers),
                    handled.contains(envelope.type.name), !processed.contains(envelope.id)
                else { continue }
                missing.append(
                    Missing(
                        group: group.group, topic: message.topic, partition: message.partition, offset: message.offset,
                        type: envelope.type.description, eventID: envelope.id))
            }
        }
        return missing
    }
}
