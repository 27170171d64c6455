import Consumers
import Kafka
import Logging

/// Reads every dead letter on the groups' dead-letter topics (`<group>.dlq`) from the
/// beginning to their current end, decoded from their `dlq_*` headers.
enum DeadLetterTopics {
    /// The dead letters; a message without readable `dlq_*` headers counts in `unreadable`.
    static func readAll(topics: [String], kafka: KafkaConfiguration, logger: Logger) async throws -> (
        deadLetters: [DeadLetter], unreadable: Int
    ) {
        var deadLetters: [DeadLetter] = []
        var unreadable = 0
        for message in try await TopicScan.readAll(topics: topics, kafka: kafka, logger: logger) {
            if let deadLetter = DeadLetter(headers: message.headers) {
                deadLetters.append(deadLetter)
            } else {
                unreadable += 1
            }
        }
        return (deadLetters, unreadable)
    }
}
