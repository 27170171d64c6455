import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Kafka
import Synchronization
import Testing

@Suite("Consumer runtime: partitions revoked during an in-place retry (PostgreSQL + embedded broker)")
struct RevokedPartitionTests {
    @Test("after a rebalance during the in-place retry, the instance publishes no retries for partitions it lost")
    func noRetriesForRevokedPartitions() async throws {
        try await ConsumerTestHarness.with { harness in
            struct Rejected: Error {}
            let outage = Mutex(true)
            // Every event fails (to the first retry topic); instance A meets an outage first.
            let outaged: EventHandler = { _, _ in
                if outage.withLock({ $0 }) {
                    throw KafkaError(code: .transport, message: "simulated outage", isRetriable: true)
                }
                throw Rejected()
            }
            let rejecting: EventHandler = { _, _ in throw Rejected() }
            let ids = try await harness.publish((0..<12).map { ("k\($0)", $0) })
            let first = try ConsumerRuntime(configuration: harness.configuration(handler: outaged))
            let firstTask = Task { try await first.run() }
            try await waitUntil(timeout: .seconds(30)) { first.metrics.transientFailures >= 1 }
            let second = try ConsumerRuntime(configuration: harness.configuration(handler: rejecting))
            let secondTask = Task { try await second.run() }
            func main(_ runtime: ConsumerRuntime) -> Set<KafkaTopicPartition> {
                runtime.assignment.filter { $0.topic == ConsumerTestHarness.topic }
            }
            try await waitUntil(timeout: .seconds(30)) {
                !main(second).isEmpty && main(first).isDisjoint(with: main(second))
                    && main(first).count + main(second).count == ConsumerTestHarness.partitions
            }
            outage.withLock { $0 = false }
            let retryTopic = TopicReader(
                bootstrapServers: harness.broker.bootstrapServers,
                topic: RetryPolicy.retryTopic(
                    group: ConsumerTestHarness.group, delay: ConsumerTestHarness.retry.delays[0]),
                partitions: 1)
            // Every event retried at least once; then give duplicates time to show.
            _ = try await retryTopic.read(timeout: .seconds(30)) {
                Set($0.compactMap { $0.header("ce_id") }).count >= 12
            }
            try await Task.sleep(for: .seconds(2))
            let retries = try await retryTopic.read(timeout: .seconds(3)) { _ in false }
            for runtime in [first, second] { runtime.requestStop() }
            for task in [firstTask, secondTask] { try await task.value }
            var perEvent: [String: Int] = [:]
            for message in retries { perEvent[message.header("ce_id") ?? "?", default: 0] += 1 }
            #expect(Set(perEvent.keys) == Set(ids.map { $0.uuidString.lowercased() }))
            #expect(perEvent.values.allSatisfy { $0 == 1 }, "each event retried once: \(perEvent.values.sorted())")
            #expect(first.metrics.revokedDuringRetry > 0)
        }
    }
}
