import Kafka

/// Where each consumer group stands on each partition of its topics: its committed offset
/// against the partition's end.
struct GroupOffsets: Sendable {
    struct Position: Sendable, Hashable {
        var group: String
        var partition: KafkaTopicPartition
    }

    /// Messages not yet committed, by group and partition.
    var lag: [Position: Int64] = [:]
    /// The committed offset (or the low watermark when nothing is committed).
    var committed: [Position: Int64] = [:]

    var totalLag: Int64 { lag.values.reduce(0, +) }

    /// Lag by group, for groups with any.
    var lagByGroup: [String: Int64] {
        var sums: [String: Int64] = [:]
        for (position, lag) in lag where lag > 0 { sums[position.group, default: 0] += lag }
        return sums
    }

    /// Reads every group's positions. `groups`: each group's topics.
    static func read(admin: KafkaAdmin, groups: [String: [String]], timeout: Duration = .seconds(5)) async throws
        -> GroupOffsets
    {
        let metadata = try await admin.metadata(timeout: timeout)
        var marks: [KafkaTopicPartition: (low: Int64, high: Int64)] = [:]
        var offsets = GroupOffsets()
        for (group, topics) in groups {
            let partitions = metadata.topics.filter { topics.contains($0.name) }.flatMap { topic in
                topic.partitions.map { KafkaTopicPartition(topic: topic.name, partition: $0.id) }
            }
            let committed = try await admin.committedOffsets(group: group, partitions: partitions, timeout: timeout)
            for partition in partitions {
                if marks[partition] == nil {
                    marks[partition] = try await admin.watermarks(
                        topic: partition.topic, partition: partition.partition, timeout: timeout)
                }
                guard let mark = marks[partition] else { continue }
                let offset =
                    committed.first { $0.topic == partition.topic && $0.partition == partition.partition }?.offset ?? -1
                let position = Position(group: group, partition: partition)
                offsets.committed[position] = offset >= 0 ? offset : mark.low
                offsets.lag[position] = offset >= 0 ? mark.high - offset : mark.high - mark.low
            }
        }
        return offsets
    }
}
