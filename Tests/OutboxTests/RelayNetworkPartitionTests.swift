import ChoreoTestSupport
import Foundation
import Kafka
import Outbox
import Postgres
import Testing

/// The active relay loses its database without any error (its connections are black-holed
/// by a proxy: nothing is refused or reset, nothing comes back). It must notice (response
/// timeout), close its sessions, which ends the lock session on the server, and a standby
/// must take over, with nothing lost and per-key order kept.
@Suite("Relay cut off from PostgreSQL (TCP proxy black hole)")
struct RelayNetworkPartitionTests {
    @Test("a black-holed active relay is replaced by a standby within 15 s; nothing lost, per-key order kept")
    func standbyReplacesABlackHoledRelay() async throws {
        try await OutboxTestHarness.with { harness in
            let proxy = try TCPProxy(
                upstreamHost: harness.database.host ?? "127.0.0.1", upstreamPort: harness.database.port ?? 5432)
            var throughProxy = harness.database
            throughProxy.host = "127.0.0.1"
            throughProxy.port = proxy.port
            // Relay statements are short; a 2 s statement timeout gives a 7 s response timeout.
            throughProxy.statementTimeout = .seconds(2)
            let first = try OutboxRelay(database: throughProxy, configuration: harness.relayConfiguration())
            let firstTask = Task { try await first.run() }
            try await waitUntil { first.metrics.isActive }
            var standbyConfiguration = try harness.relayConfiguration()
            standbyConfiguration.standbyRetryInterval = .milliseconds(200)
            try await harness.withRelay(standbyConfiguration) { second in
                let connection = try await harness.connect()
                var expected: [String: Int] = [:]
                for i in 0..<100 {
                    expected["k\(i % 10)"] = try await harness.writeNext(key: "k\(i % 10)", on: connection)
                }
                try await waitUntil { first.metrics.published >= 100 }
                #expect(!second.metrics.isActive)

                proxy.mode = .blackHole
                let cut = ContinuousClock.now
                for i in 100..<200 {
                    expected["k\(i % 10)"] = try await harness.writeNext(key: "k\(i % 10)", on: connection)
                }
                try await waitUntil(timeout: .seconds(15) - (ContinuousClock.now - cut)) { second.metrics.isActive }
                #expect(!first.metrics.isActive)
                for i in 200..<300 {
                    expected["k\(i % 10)"] = try await harness.writeNext(key: "k\(i % 10)", on: connection)
                }
                let final = expected
                let messages = try await harness.reader.read(timeout: .seconds(60)) {
                    ArrivalCheck.isComplete($0, expected: final)
                }
                ArrivalCheck.assertComplete(messages, expected: expected)
                try await waitUntil { try await harness.pendingCount() == 0 }
                await connection.close()
                // The cut-off relay stands by once it can reach the database again.
                proxy.mode = .pass
                first.requestStop()
                try await firstTask.value
            }
            await proxy.stop()
        }
    }
}
