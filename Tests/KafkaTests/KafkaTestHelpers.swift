import ChoreoTestSupport
import Foundation
import Kafka

/// Polls until `count` messages arrived or `deadline` passed.
func consume(_ consumer: KafkaConsumer, count: Int, within deadline: Duration = .seconds(60)) async throws
    -> [KafkaConsumerMessage]
{
    let end = ContinuousClock.now.advanced(by: deadline)
    var all: [KafkaConsumerMessage] = []
    while all.count < count && ContinuousClock.now < end {
        all += try await consumer.poll(maxMessages: 1000, timeout: .milliseconds(200))
    }
    return all
}

/// Reads every message of a topic with a manually assigned consumer (no group rebalance).
func readAll(_ cluster: EmbeddedKafkaCluster, topic: String, partitions: Int32, expected: Int) async throws
    -> [KafkaConsumerMessage]
{
    let consumer = try KafkaConsumer(
        configuration: embeddedConsumerConfiguration(cluster, group: uniqueGroupID("reader")),
        logger: testLogger("reader"))
    try consumer.assign(
        (0..<partitions).map {
            KafkaTopicPartitionOffset(topic: topic, partition: $0, offset: KafkaTopicPartitionOffset.beginning)
        })
    var messages = try await consume(consumer, count: expected)
    // Anything beyond `expected` (duplicates) must show up within a short extra wait.
    messages += try await consumer.poll(maxMessages: 100_000, timeout: .milliseconds(500))
    await consumer.close()
    return messages
}

func index(of message: KafkaConsumerMessage) -> Int? {
    message.headers.first { $0.key == "i" }?.stringValue.flatMap(Int.init)
}

/// Checks per partition that indexes appear in increasing order (first occurrences), and returns
/// how often each index was seen.
func occurrences(_ messages: [KafkaConsumerMessage]) -> (counts: [Int: Int], orderedPerPartition: Bool) {
    var counts: [Int: Int] = [:]
    var lastPerPartition: [Int32: Int] = [:]
    var ordered = true
    for message in messages.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
        guard let i = index(of: message) else { continue }  // warm-up messages carry no index
        counts[i, default: 0] += 1
        if counts[i] == 1 {
            if let last = lastPerPartition[message.partition], last > i { ordered = false }
            lastPerPartition[message.partition] = i
        }
    }
    return (counts, ordered)
}

func numbered(_ topic: String, _ range: Range<Int>) -> [KafkaProducerMessage] {
    range.map { i in
        KafkaProducerMessage(
            topic: topic, key: Array("key-\(i % 37)".utf8), value: Array("value-\(i)".utf8),
            headers: [KafkaHeader(key: "i", string: String(i))])
    }
}

/// Polls `condition` until true or the deadline passes.
func eventually(within deadline: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let end = ContinuousClock.now.advanced(by: deadline)
    while ContinuousClock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
