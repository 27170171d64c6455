import Foundation
import Kafka
import Logging
import Services

/// Reads topics from their beginning to their end as they are now, every partition, with a
/// consumer of no group (assigned partitions, nothing committed).
enum TopicScan {
    static func readAll(
        topics: [String], kafka: KafkaConfiguration, logger: Logger, timeout: Duration = .seconds(120)
    ) async throws -> [KafkaConsumerMessage] {
        let admin = try KafkaAdmin(configuration: kafka, logger: logger)
        let metadata = try await admin.metadata(timeout: .seconds(10))
        var start: [KafkaTopicPartitionOffset] = []
        var remaining: [KafkaTopicPartition: Int64] = [:]
        for topic in metadata.topics where topics.contains(topic.name) {
            for partition in topic.partitions {
                let marks = try await admin.watermarks(
                    topic: topic.name, partition: partition.id, timeout: .seconds(10))
                guard marks.high > marks.low else { continue }
                start.append(KafkaTopicPartitionOffset(topic: topic.name, partition: partition.id, offset: marks.low))
                remaining[KafkaTopicPartition(topic: topic.name, partition: partition.id)] = marks.high
            }
        }
        guard !start.isEmpty else { return [] }
        var configuration = KafkaConsumerConfiguration(client: kafka, groupID: "choreo-scan-\(UUID())")
        configuration.autoOffsetReset = .earliest
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.assign(start)
        var messages: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + timeout
        while !remaining.isEmpty {
            guard ContinuousClock.now < deadline else {
                await consumer.close()
                throw ServiceError(
                    code: .stopped, message: "the topics could not be read to their end in time", isRetriable: true)
            }
            for message in try await consumer.poll(maxMessages: 500, timeout: .milliseconds(200)) {
                messages.append(message)
                let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
                if let end = remaining[partition], message.offset + 1 >= end { remaining[partition] = nil }
            }
        }
        await consumer.close()
        return messages
    }
}
