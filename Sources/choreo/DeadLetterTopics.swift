import Consumers
import Foundation
import Kafka
import Logging
import Services

/// Reads every dead letter on the groups' dead-letter topics (`<group>.dlq`) from the
/// beginning to their current end, decoded from their `dlq_*` headers.
enum DeadLetterTopics {
    /// The dead letters; a message without readable `dlq_*` headers counts in `unreadable`.
    static func readAll(
        topics: [String], kafka: KafkaConfiguration, logger: Logger, timeout: Duration = .seconds(60)
    ) async throws -> (deadLetters: [DeadLetter], unreadable: Int) {
        let admin = try KafkaAdmin(configuration: kafka, logger: logger)
        let metadata = try await admin.metadata(timeout: .seconds(10))
        var start: [KafkaTopicPartitionOffset] = []
        var ends: [KafkaTopicPartition: Int64] = [:]
        for topic in metadata.topics where topics.contains(topic.name) {
            for partition in topic.partitions {
                let marks = try await admin.watermarks(topic: topic.name, partition: partition.id, timeout: .seconds(10))
                guard marks.high > marks.low else { continue }
                start.append(KafkaTopicPartitionOffset(topic: topic.name, partition: partition.id, offset: marks.low))
                ends[KafkaTopicPartition(topic: topic.name, partition: partition.id)] = marks.high
            }
        }
        guard !start.isEmpty else { return ([], 0) }
        var configuration = KafkaConsumerConfiguration(client: kafka, groupID: "choreo-chaos-dlq-\(UUID())")
        configuration.autoOffsetReset = .earliest
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.assign(start)
        var deadLetters: [DeadLetter] = []
        var unreadable = 0
        var remaining = ends
        let deadline = ContinuousClock.now + timeout
        while !remaining.isEmpty {
            guard ContinuousClock.now < deadline else {
                await consumer.close()
                throw ServiceError(
                    code: .stopped, message: "the dead-letter topics could not be read to their end", isRetriable: true)
            }
            for message in try await consumer.poll(maxMessages: 500, timeout: .milliseconds(200)) {
                if let deadLetter = DeadLetter(headers: message.headers) {
                    deadLetters.append(deadLetter)
                } else {
                    unreadable += 1
                }
                let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
                if let end = remaining[partition], message.offset + 1 >= end { remaining[partition] = nil }
            }
        }
        await consumer.close()
        return (deadLetters, unreadable)
    }
}
