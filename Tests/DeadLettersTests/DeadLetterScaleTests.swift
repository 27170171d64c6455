import ChoreoTestSupport
import Consumers
import Contracts
import DeadLetters
import Foundation
import Postgres
import Testing

/// 10,000 dead letters: `list` with filters, and `replay --group` of all of them applied
/// exactly once. Timings are printed for docs/benchmarks.md, never asserted.
@Suite("Dead letters at scale (10,000)", .serialized)
struct DeadLetterScaleTests {
    static let count = 10_000

    @Test("list with filters over 10,000 records; replay --group applies every one exactly once")
    func scale() async throws {
        try await DeadLetterTestHarness.with { harness in
            let reasons = ["handler-error", "retries-exhausted", "contract-violation", "unknown-type"]
            var ids: [UUID] = []
            for chunk in stride(from: 0, to: Self.count, by: 1_000) {
                let letters = try (chunk..<chunk + 1_000).map { index -> IncomingDeadLetter in
                    let id = UUID()
                    ids.append(id)
                    return try IncomingDeadLetter(
                        DeadLetterFixtures.message(
                            offset: Int64(index), key: "key-\(index % 997)", seq: index + 100,
                            reason: reasons[index % 4],
                            error: "failure \(index)", id: id,
                            failedAt: Date().addingTimeInterval(-Double(index))))
                }
                try await harness.store.insert(letters)
            }
            var timings: [String] = []
            for filters in [
                ["--reason", "contract-violation"], ["--key", "key-42"],
                ["--type", "test.event.v1", "--limit", "1000"],
                ["--since", "30m", "--group", DeadLetterTestHarness.group], ["--grep", "failure 9999"],
                ["--status", "pending", "--reason", "handler-error", "--json", "--limit", "10000"],
            ] {
                let started = ContinuousClock.now
                let run = try await harness.choreo(["dlq", "list"] + filters)
                let elapsed = ContinuousClock.now - started
                #expect(run.status == 0, "stderr: \(run.stderr)")
                timings.append("list \(filters.joined(separator: " ")): \(elapsed) (process start included)")
            }
            let grep = try await harness.choreo(["dlq", "list", "--grep", "failure 9999", "--json"])
            #expect(grep.stdout.split(separator: "\n").count == 1)
            try await harness.withRuntime { runtime in
                let run = try await harness.choreo(["dlq", "replay", "--group", DeadLetterTestHarness.group])
                #expect(run.status == 0, "stderr: \(run.stderr)")
                timings.append(run.stdout.split(separator: "\n").last.map(String.init) ?? "")
                print("dead-letter scale so far:\n  " + timings.joined(separator: "\n  "))
                let started = ContinuousClock.now
                try await waitUntil(timeout: .seconds(300)) { runtime.metrics.handled >= Self.count }
                timings.append(
                    "applied by the group \(ContinuousClock.now - started) after the replay command returned")
            }
            let connection = try await PostgresConnection.connect(configuration: harness.database)
            let rows = try await connection.query(
                "SELECT count(DISTINCT event_id)::bigint, count(*)::bigint FROM effects")
            await connection.close()
            #expect(try rows.first?.decode(Int64.self, column: 0) == Int64(Self.count))
            #expect(try rows.first?.decode(Int64.self, column: 1) == Int64(Self.count), "each exactly once")
            #expect(
                try await harness.store.list(DeadLetterFilter(status: .replayed, limit: 20_000)).count == Self.count)
            print("dead-letter scale (\(Self.count) records):\n  " + timings.joined(separator: "\n  "))
        }
    }
}
