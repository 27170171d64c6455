import ChoreoTestSupport
import Foundation
import Kafka
import Outbox
import Postgres
import Testing

/// `choreo relay` as a separate process draining large rows, its resident memory sampled
/// from `/proc/<pid>/status` (Linux only).
@Suite("Relay memory: bounded by bytes in flight")
struct RelayMemoryTests {
    /// What a relay process holds besides its messages: an idle relay (debug build: Swift
    /// runtime, Foundation, libpq, librdkafka's threads and buffers) measured 40 MiB RSS,
    /// plus 16 MiB for malloc arenas that keep freed blocks. The bound itself covers the
    /// messages in flight and the rows of a read (see `OutboxRelayConfiguration.maxInFlightBytes`).
    /// Measured on 2026-11-27: peak 51 MiB with an 8 MiB bound and 74 MiB with 32 MiB (release:
    /// see docs/outbox.md); the relay before the byte bound peaked at 1,191 MiB on this test.
    static let fixedOverhead = 56 * 1024 * 1024

    /// The resident memory of `pid` in bytes, from `/proc/<pid>/status`.
    static func residentBytes(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// Starts `choreo broker` with `topic` and returns it with its bootstrap servers.
    static func startBroker(topic: String, partitions: Int) async throws -> (ChoreoProcess, String) {
        let directory = FileManager.default.temporaryDirectory.appending(path: "choreo-relay-memory-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appending(path: "bootstrap")
        let broker = try ChoreoProcess.start([
            "broker", "--topic", "\(topic):\(partitions)", "--bootstrap-file", file.path, "--root", directory.path,
        ])
        try await waitUntil {
            ((try? String(contentsOf: file, encoding: .utf8)) ?? "").contains("\n")
        }
        let bootstrap = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return (broker, bootstrap)
    }

    /// Inserts `rows` rows of about `rowBytes` bytes each, over 50 keys, as foreign writers would.
    static func insertLargeRows(_ rows: Int, rowBytes: Int, topic: String, on connection: PostgresConnection)
        async throws
    {
        var first = 1
        while first <= rows {
            let last = min(rows, first + 499)
            try await connection.execute(
                """
                INSERT INTO outbox (event_id, topic, partition_key, event_type, payload)
                SELECT gen_random_uuid(), \(topic), 'k' || (g % 50), 'test.event.v1',
                       json_build_object('key', 'k' || (g % 50), 'seq', g, 'pad', repeat(md5(g::text), \(rowBytes / 32)::int))
                FROM generate_series(\(first)::int, \(last)::int) AS g
                """)
            first = last + 1
        }
    }

    /// Drains `rows` large rows with `choreo relay --max-in-flight-bytes bound`; returns the
    /// relay's peak resident memory.
    static func peakWhileDraining(rows: Int, rowBytes: Int, bound: Int) async throws -> Int {
        let topic = "outbox.memory.test"
        let (broker, bootstrap) = try await startBroker(topic: topic, partitions: 3)
        defer { broker.kill(signal: SIGTERM) }
        return try await withScratchDatabase { database in
            let connection = try await PostgresConnection.connect(configuration: database)
            try await OutboxSchema.standard.install(on: connection)
            try await insertLargeRows(rows, rowBytes: rowBytes, topic: topic, on: connection)
            let relay = try ChoreoProcess.start([
                "relay", "--database-url", databaseURL(of: database), "--bootstrap-servers", bootstrap,
                "--max-in-flight-bytes", "\(bound)",
            ])
            defer { relay.kill() }
            let pid = relay.process.processIdentifier
            var peak = 0
            var pending = rows
            while pending > 0 {
                guard relay.process.isRunning else { throw WaitTimeout(description: "the relay exited") }
                peak = max(peak, residentBytes(pid: pid) ?? 0)
                let result = try await connection.query("SELECT count(*)::bigint FROM outbox")
                pending = Int(try #require(result.first).decode(Int64.self, column: 0))
                // Sampling, not waiting for an event: the drain ends the loop.
                try await Task.sleep(for: .milliseconds(10))
            }
            peak = max(peak, residentBytes(pid: pid) ?? 0)
            relay.kill(signal: SIGTERM)
            #expect(await relay.waitForExit(timeout: .seconds(15)) == 0)
            await connection.close()
            return peak
        }
    }

    @Test("2,000 rows of 200 KB drain with the relay's resident memory under the byte bound plus a fixed overhead")
    func largeRowsStayUnderTheBound() async throws {
        let bound = 8 * 1024 * 1024
        let peak = try await Self.peakWhileDraining(rows: 2_000, rowBytes: 200_000, bound: bound)
        print("relay peak RSS: \(peak / 1_048_576) MiB for 2,000 rows of 200 KB, bound \(bound / 1_048_576) MiB")
        #expect(peak > 0, "memory was sampled")
        #expect(
            peak < bound + Self.fixedOverhead,
            "peak RSS \(peak / 1_048_576) MiB, bound \(bound / 1_048_576) MiB + overhead \(Self.fixedOverhead / 1_048_576) MiB"
        )
    }

    /// The full run: 20,000 rows of 200 KB (about 4 GB) with the default 64 MiB bound.
    /// Too slow for CI; run with `CHOREO_RELAY_MEMORY_FULL=1 swift test --filter RelayMemoryTests`.
    @Test(
        "20,000 rows of 200 KB with the default bound (manual: CHOREO_RELAY_MEMORY_FULL=1)",
        .enabled(if: ProcessInfo.processInfo.environment["CHOREO_RELAY_MEMORY_FULL"] == "1"))
    func fullRun() async throws {
        let bound = 64 * 1024 * 1024
        let peak = try await Self.peakWhileDraining(rows: 20_000, rowBytes: 200_000, bound: bound)
        print("relay peak RSS: \(peak / 1_048_576) MiB for 20,000 rows of 200 KB, bound \(bound / 1_048_576) MiB")
        #expect(peak < bound + Self.fixedOverhead)
    }
}
