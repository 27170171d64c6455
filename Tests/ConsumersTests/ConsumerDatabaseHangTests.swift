import ChoreoTestSupport
import Consumers
import Foundation
import Postgres
import Synchronization
import Testing

/// The consumer's database stops answering without any error (a TCP proxy black-holes the
/// connection: nothing refused, nothing reset). The runtime must notice (response
/// timeout), back off, reconnect once the database answers again and resume: nothing
/// dead-lettered, nothing sent to retry, every event applied exactly once.
@Suite("Consumer whose database hangs (TCP proxy black hole)")
struct ConsumerDatabaseHangTests {
    @Test("a hung database: the consumer backs off and resumes, no dead letters, every event applied once")
    func databaseHangs() async throws {
        try await ConsumerTestHarness.with { harness in
            let proxy = try TCPProxy(
                upstreamHost: harness.database.host ?? "127.0.0.1", upstreamPort: harness.database.port ?? 5432)
            var configuration = Self.configuration(harness, through: proxy)
            // A 2 s statement timeout gives a 7 s response timeout: the hang is noticed in the test's time.
            configuration.database.statementTimeout = .seconds(2)
            configuration.database.connectTimeout = .seconds(1)
            try await harness.publish((0..<50).map { ("k\($0 % 5)", $0) })
            try await harness.withRuntime(configuration) { runtime in
                try await waitUntil { runtime.metrics.handled == 50 }
                proxy.mode = .blackHole
                try await harness.publish((50..<150).map { ("k\($0 % 5)", $0) })
                // The batch hangs, is abandoned after the response timeout, and reconnecting
                // through the black hole times out: each is one transient failure.
                try await waitUntil { runtime.metrics.transientFailures >= 2 }
                #expect(runtime.metrics.handled < 150)
                proxy.mode = .pass
                try await waitUntil(timeout: .seconds(60)) { runtime.metrics.handled == 150 }
                #expect(runtime.metrics.deadLettered == 0)
                #expect(runtime.metrics.retried == 0)
            }
            let counts = try await harness.effectCounts()
            #expect(counts.count == 150)
            #expect(counts.values.allSatisfy { $0 == 1 })
            await proxy.stop()
        }
    }

    @Test("stopping while the database hangs: the connection is closed after the grace period and run() returns")
    func stopWhileDatabaseHangs() async throws {
        try await ConsumerTestHarness.with { harness in
            let proxy = try TCPProxy(
                upstreamHost: harness.database.host ?? "127.0.0.1", upstreamPort: harness.database.port ?? 5432)
            var configuration = Self.configuration(harness, through: proxy)
            // The default statement timeout (30 s) gives a 35 s response timeout: without the
            // grace period's close, the stuck batch would hold the stop for that long.
            configuration.shutdownGracePeriod = .seconds(1)
            try await harness.publish((0..<10).map { ("k\($0 % 5)", $0) })
            let runtime = try ConsumerRuntime(configuration: configuration)
            let task = Task { try await runtime.run() }
            try await waitUntil { runtime.metrics.handled == 10 }
            proxy.mode = .blackHole
            try await harness.publish((10..<20).map { ("k\($0 % 5)", $0) })
            // A batch is stuck in the database: its statement went into the black hole.
            try await waitUntil { proxy.heldBytes > 0 }
            let returned = Mutex(false)
            let watcher = Task {
                _ = try? await task.value
                returned.withLock { $0 = true }
            }
            runtime.requestStop()
            // Well under the 35 s the stuck statement would otherwise hold it.
            try await waitUntil(timeout: .seconds(25)) { returned.withLock { $0 } }
            await watcher.value
            #expect(runtime.metrics.handled == 10)
            #expect(runtime.metrics.deadLettered == 0)
            await proxy.stop()
        }
    }

    /// Batches of 20, the database reached through `proxy`.
    private static func configuration(_ harness: ConsumerTestHarness, through proxy: TCPProxy) -> ConsumerConfiguration
    {
        var configuration = harness.configuration(batchSize: 20)
        configuration.database.host = "127.0.0.1"
        configuration.database.port = proxy.port
        return configuration
    }
}
