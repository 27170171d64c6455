import ChoreoTestSupport
import Consumers
import Foundation
import Kafka
import Postgres
import Synchronization
import Testing

/// The broker goes away mid-stream (the embedded cluster's broker-down fault) while the
/// consumer has retries to publish and offsets to commit. Nothing may be dead-lettered,
/// and once the broker is back the consumer resumes and applies every event exactly once.
@Suite("Consumer cut off from the broker")
struct ConsumerBrokerCutTests {
    @Test("the broker down mid-stream: no dead letters, the consumer resumes, every event applied once")
    func brokerCut() async throws {
        try await ConsumerTestHarness.with { harness in
            // Every tenth event fails once, so retries are published around the outage.
            let failures = Mutex<Set<UUID>>([])
            let failOnce: EventHandler = { event, context in
                struct Data: Decodable { var seq: Int }
                let seq = try event.decode(Data.self).seq
                let first = failures.withLock { $0.insert(event.envelope.id).inserted }
                struct Flaky: Error {}
                if seq % 10 == 0 && first { throw Flaky() }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            try await harness.publish((0..<60).map { ("k\($0 % 5)", $0) })
            try await harness.withRuntime(harness.configuration(handler: failOnce, batchSize: 10)) { runtime in
                try await waitUntil { runtime.metrics.handled >= 20 }
                try harness.broker.setBrokerDown(1)
                try await Task.sleep(for: .seconds(3))  // the outage itself, not a wait for an event
                try harness.broker.setBrokerUp(1)
                try await harness.publish((60..<120).map { ("k\($0 % 5)", $0) })
                try await waitUntil(timeout: .seconds(60)) { try await harness.effectCounts().count == 120 }
                #expect(runtime.metrics.deadLettered == 0)
                #expect(runtime.metrics.retried >= 1)
            }
            let counts = try await harness.effectCounts()
            #expect(counts.count == 120)
            #expect(counts.values.allSatisfy { $0 == 1 })
        }
    }
}
