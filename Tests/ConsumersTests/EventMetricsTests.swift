import ChoreoTestSupport
import Contracts
import CoreMetrics
import Foundation
import Postgres
import Synchronization
import Testing

@testable import Consumers

/// The event counters (``EventMetricsLayer``) count committed events: a batch rolled back
/// and redone with a savepoint per event counts each applied event once.
@Suite("Consumer runtime: event metrics (PostgreSQL + embedded broker)")
struct EventMetricsTests {
    @Test("a redone batch counts each applied event once; the metrics agree with the runtime's stats")
    func redoneBatchCountsOnce() async throws {
        try await ConsumerTestHarness.with { harness in
            let metrics = CountingMetrics()
            let careless: EventHandler = { event, context in
                struct TestEvent: Decodable { var key: String }
                if try event.decode(TestEvent.self).key == "careless" {
                    struct Careless: Error {}
                    throw Careless()
                }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            // The failing event sits in the middle of one batch: the optimistic attempt has
            // applied the twenty before it when it fails, and is redone with savepoints.
            let ids = try await harness.publish(
                (0..<20).map { ("other\($0 % 5)", $0) } + [("careless", 1)] + (20..<40).map { ("other\($0 % 5)", $0) })
            try await harness.publish([("other0", 0)], id: ids[0])
            try await withMetricsFactory(metrics) {
                try await harness.withRuntime(harness.configuration(handler: careless)) { runtime in
                    try await waitUntil {
                        runtime.metrics.deadLettered == 1 && runtime.metrics.handled == 40
                            && runtime.metrics.duplicates == 1
                    }
                    let group = ConsumerTestHarness.group
                    #expect(runtime.metrics.batchRedos >= 1)
                    #expect(metrics.total("choreo_consumer_applied_total", group: group) == 40)
                    #expect(metrics.total("choreo_consumer_skipped_duplicates_total", group: group) == 1)
                    #expect(metrics.total("choreo_consumer_parked_total", group: group) == 0)
                }
            }
            #expect(try await harness.effectCounts().count == 40)
        }
    }

    @Test("parked events released as orphans count applied once, and their handlers' after-commit actions run")
    func orphanReleaseCountsAndRunsAfterCommit() async throws {
        try await ConsumerTestHarness.with { harness in
            let metrics = CountingMetrics()
            let connection = try await PostgresConnection.connect(configuration: harness.database)
            defer { Task { await connection.close() } }
            // Two events parked behind a blocker that is gone: the runtime releases them at start.
            try await harness.parkOrphans(key: "K", seqs: 1...2, on: connection)
            let afterCommit = Atomic<Int>(0)
            let handler: EventHandler = { event, context in
                try await ConsumerTestHarness.recordEffect(event, context)
                context.afterCommit { afterCommit.add(1, ordering: .relaxed) }
            }
            var configuration = harness.configuration(handler: handler)
            configuration.preserveKeyOrder = true
            try await withMetricsFactory(metrics) {
                try await harness.withRuntime(configuration) { runtime in
                    try await waitUntil { runtime.metrics.handled == 2 }
                    #expect(metrics.total("choreo_consumer_applied_total", group: ConsumerTestHarness.group) == 2)
                    #expect(afterCommit.load(ordering: .relaxed) == 2)
                }
            }
            #expect(try await harness.effectCounts().count == 2)
        }
    }
}
