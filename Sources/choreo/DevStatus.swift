import Foundation
import Kafka
import Orders
import Postgres

/// One reading of the running system for the `dev up` status line and summary: read from
/// the Orders database, every service's outbox and the dead-letter topics.
struct DevStatus: Sendable {
    var published = 0
    var counts = OrderFacts.Counts()
    var latency: (p50: Double, p99: Double)?
    var outboxBacklog: [String: Int] = [:]
    var deadLetters: Int64 = 0
    /// Messages on each group's main topics not yet committed by it.
    var lag: [String: Int64] = [:]

    /// Reads the system. `connections` are one per service database, by service name.
    static func read(
        published: Int, since: Date, connections: [String: PostgresConnection],
        admin: KafkaAdmin, deadLetterTopics: [String], groups: [String: [String]]
    ) async throws -> DevStatus {
        var status = DevStatus(published: published)
        guard let orders = connections["orders"] else { return status }
        status.counts = try await OrderFacts.counts(since: since, on: orders)
        status.latency = try await OrderFacts.completionLatency(since: since, on: orders)
        for (service, connection) in connections {
            let rows = try await connection.query("SELECT count(*) FROM outbox")
            status.outboxBacklog[service] = try rows.first?.decode(Int.self, column: 0) ?? 0
        }
        let metadata = try await admin.metadata(timeout: .seconds(5))
        for topic in metadata.topics where deadLetterTopics.contains(topic.name) {
            for partition in topic.partitions {
                let marks = try await admin.watermarks(topic: topic.name, partition: partition.id, timeout: .seconds(5))
                status.deadLetters += marks.high - marks.low
            }
        }
        for (group, topics) in groups {
            let partitions = metadata.topics.filter { topics.contains($0.name) }.flatMap { topic in
                topic.partitions.map { KafkaTopicPartition(topic: topic.name, partition: $0.id) }
            }
            let committed = try await admin.committedOffsets(group: group, partitions: partitions, timeout: .seconds(5))
            var lag: Int64 = 0
            for partition in partitions {
                let marks = try await admin.watermarks(
                    topic: partition.topic, partition: partition.partition, timeout: .seconds(5))
                let offset =
                    committed.first { $0.topic == partition.topic && $0.partition == partition.partition }?.offset ?? -1
                lag += offset >= 0 ? marks.high - offset : marks.high - marks.low
            }
            status.lag[group] = lag
        }
        return status
    }

    /// The reading in labelled parts: orders, completion latency, outbox backlog, lag,
    /// dead letters; rates against `previous`, `seconds` earlier.
    func sections(previous: DevStatus?, seconds: Double) -> [(label: String, text: String)] {
        func rate(_ now: Int, _ before: Int?) -> String {
            String(format: "%.1f/s", Double(now - (before ?? 0)) / max(seconds, 0.001))
        }
        let backlog = outboxBacklog.values.reduce(0, +)
        let busiest = outboxBacklog.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        return [
            (
                "orders",
                "sent \(published) (\(rate(published, previous?.published))) placed \(counts.total) confirmed \(counts.confirmed) (\(rate(counts.confirmed, previous?.counts.confirmed))) cancelled \(counts.cancelled) (\(rate(counts.cancelled, previous?.counts.cancelled))) open \(counts.placed)"
            ),
            ("completion", latency.map { String(format: "p50 %.0f ms p99 %.0f ms", $0.p50, $0.p99) } ?? "p50 - p99 -"),
            ("outbox backlog", "\(backlog)" + (busiest.isEmpty ? "" : " (\(busiest.joined(separator: ", ")))")),
            ("lag", lag.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
            ("dead letters", "\(deadLetters)"),
        ]
    }

    /// One line: `orders sent 400 (40.0/s) … | completion p50 … | outbox backlog 0 | lag … | dead letters 0`.
    func line(previous: DevStatus?, seconds: Double) -> String {
        sections(previous: previous, seconds: seconds).map { "\($0.label) \($0.text)" }.joined(separator: " | ")
    }

    /// The panel shown on a terminal: one labelled line per part.
    func panel(previous: DevStatus?, seconds: Double, elapsed: Double) -> [String] {
        ["choreo dev up — \(Int(elapsed)) s"]
            + sections(previous: previous, seconds: seconds).map {
                "  " + $0.label.padding(16) + $0.text
            }
    }
}
