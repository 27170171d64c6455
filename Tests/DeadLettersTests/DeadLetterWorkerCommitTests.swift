import ChoreoTestSupport
import Consumers
import DeadLetters
import Kafka
import Testing

/// Found by `choreo chaos`: a commit that failed during a broker outage was not tried again,
/// so a dead-letter partition with no later messages kept a lag of one (blocked 140 s in the
/// 10-minute run) until the next dead letter arrived.
@Suite("Dead-letter worker: a failed offset commit is tried again", .serialized)
struct DeadLetterWorkerCommitTests {
    @Test("a stored dead letter's offset is committed after injected commit errors, with no later message")
    func failedCommitIsRetried() async throws {
        try await DeadLetterTestHarness.with { harness in
            let topic = RetryPolicy.deadLetterTopic(group: DeadLetterTestHarness.group)
            let partition = KafkaTopicPartition(topic: topic, partition: 0)
            let admin = try KafkaAdmin(
                configuration: KafkaConfiguration(bootstrapServers: harness.broker.bootstrapServers),
                logger: testLogger("admin"))
            try await harness.withWorker {
                // Only the worker commits in this test, so its commits meet these errors.
                try harness.broker.pushRequestErrors(
                    apiKey: .offsetCommit, errors: Array(repeating: .topicAuthorizationFailed, count: 3))
                let fixture = DeadLetterFixtures.message(offset: 0, group: DeadLetterTestHarness.group)
                let producer = try KafkaProducer(configuration: embeddedProducerConfiguration(harness.broker))
                _ = try await producer.send(
                    KafkaProducerMessage(
                        topic: topic, partition: 0, key: fixture.key, value: fixture.value, headers: fixture.headers))
                await producer.shutdown()
                try await waitUntil(timeout: .seconds(60)) {
                    try await harness.store.list(DeadLetterFilter()).count == 1
                }
                try await waitUntil(timeout: .seconds(60)) {
                    let committed = try await admin.committedOffsets(
                        group: "choreo-dlq-worker", partitions: [partition], timeout: .seconds(5))
                    return committed.map(\.offset) == [1]
                }
            }
        }
    }
}
