import ChoreoTestSupport
import Consumers
import Contracts
import DeadLetters
import Foundation
import Testing

@Suite("choreo dlq list, show, discard, hold, stats and check", .serialized)
struct DeadLetterCLITests {
    @Test("list --json prints one object per line with the script fields; filters apply; bad input says what to fix")
    func listJSON() async throws {
        try await DeadLetterTestHarness.with { harness in
            try await harness.store.insert([
                try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1, key: "a", reason: "handler-error")),
                try IncomingDeadLetter(DeadLetterFixtures.message(offset: 2, key: "b", reason: "contract-violation")),
            ])
            let run = try await harness.choreo(["dlq", "list", "--json", "--reason", "contract-violation"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.count == 1)
            let object = try JSONValue(parsing: String(try #require(lines.first)))
            for field in [
                "id", "group", "reason", "eventId", "eventType", "key", "status", "failedAt", "attempts", "error",
            ] {
                #expect(object[field] != nil, "field \(field)")
            }
            #expect(object["key"]?.stringValue == "b" && object["eventType"]?.stringValue == "test.event.v1")
            let table = try await harness.choreo(["dlq", "list"])
            #expect(table.stdout.hasPrefix("ID"))
            #expect(table.stdout.split(separator: "\n").count == 3)
            let bad = try await harness.choreo(["dlq", "list", "--status", "lost"])
            #expect(bad.status != 0 && bad.stderr.contains("--status must be one of"))
            let badTime = try await harness.choreo(["dlq", "list", "--since", "yesterday"])
            #expect(badTime.status != 0 && badTime.stderr.contains("--since expects"))
        }
    }

    @Test(
        "a cut-down dead letter shows truncated, originalSize and originalSha256; its replay is refused unless --edit gives the full data"
    )
    func truncated() async throws {
        try await DeadLetterTestHarness.with { harness in
            let full = TestContracts.data(key: "t", seq: 1)
            let truncation = DeadLetter.Truncation(of: full + Array(repeating: 0x20, count: 10_000))
            let ids = try await harness.store.insert([
                try IncomingDeadLetter(
                    DeadLetterFixtures.message(offset: 1, key: "t", reason: "oversized", truncation: truncation))
            ])
            let id = try #require(ids.first)
            let list = try await harness.choreo(["dlq", "list", "--json"])
            let object = try JSONValue(parsing: list.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(object["truncated"] == .bool(true))
            #expect(object["originalSize"] == .number(.int(Int64(truncation.originalSize))))
            #expect(object["originalSha256"]?.stringValue == truncation.originalSHA256)
            let show = try await harness.choreo(["dlq", "show", "\(id)"])
            #expect(show.stdout.contains("cut down: first"))
            let refused = try await harness.choreo(["dlq", "replay", "\(id)"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("cut-down dead letter") && refused.stderr.contains("--edit"))
            let edited = try await harness.choreo([
                "dlq", "replay", "\(id)", "--edit", String(decoding: full, as: UTF8.self),
            ])
            #expect(edited.status == 0, "stderr: \(edited.stderr)")
        }
    }

    @Test("show --json has headers, data and audit; discard needs a reason; hold; stats counts")
    func showDiscardHoldStats() async throws {
        try await DeadLetterTestHarness.with { harness in
            let ids = try await harness.store.insert([
                try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1, key: "a")),
                try IncomingDeadLetter(DeadLetterFixtures.message(offset: 2, key: "b")),
            ])
            let noReason = try await harness.choreo(["dlq", "discard", "\(ids[0])"])
            #expect(noReason.status != 0 && noReason.stderr.contains("--reason"))
            let discard = try await harness.choreo(["dlq", "discard", "\(ids[0])", "--reason", "duplicate order"])
            #expect(discard.status == 0, "stderr: \(discard.stderr)")
            let hold = try await harness.choreo(["dlq", "hold", "\(ids[1])"])
            #expect(hold.status == 0)
            let missing = try await harness.choreo(["dlq", "hold", "999999"])
            #expect(missing.status == 1 && missing.stderr.contains("no dead letter with id 999999"))
            let show = try await harness.choreo(["dlq", "show", "\(ids[0])", "--json"])
            #expect(show.status == 0, "stderr: \(show.stderr)")
            let object = try JSONValue(parsing: show.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(object["status"]?.stringValue == "discarded")
            #expect(object["data"]?["seq"] == .number(.int(1)))
            #expect(object["headers"]?.arrayValue?.contains { $0["key"]?.stringValue == "dlq_reason" } == true)
            let audit = try #require(object["audit"]?.arrayValue)
            #expect(audit.map { $0["action"]?.stringValue } == ["store", "discard"])
            #expect(audit.last?["detail"]?["reason"]?.stringValue == "duplicate order")
            let human = try await harness.choreo(["dlq", "show", "\(ids[0])"])
            #expect(human.stdout.contains("\"seq\": 1"))
            let stats = try await harness.choreo(["dlq", "stats", "--json"])
            let counts = try JSONValue(parsing: stats.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(counts["total"] == .number(.int(2)))
            #expect(counts["status"]?["held"]?["count"] == .number(.int(1)))
            #expect(counts["group"]?[DeadLetterTestHarness.group]?["count"] == .number(.int(2)))
        }
    }

    @Test("check exits non-zero when a pending record's type or version can no longer be read")
    func check() async throws {
        try await DeadLetterTestHarness.with { harness in
            let readable = try #require(
                try await harness.store.insert([try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1))]).first)
            let fine = try await harness.choreo(["dlq", "check"])
            #expect(fine.status == 0, "stdout: \(fine.stdout) stderr: \(fine.stderr)")
            let v2 = try #require(
                try await harness.store.insert([
                    try IncomingDeadLetter(DeadLetterFixtures.message(offset: 2, type: TestContracts.v2))
                ]).first)
            let bad = try await harness.choreo(["dlq", "check"])
            #expect(bad.status == 1)
            #expect(bad.stdout.contains("record \(v2)"))
            #expect(bad.stdout.contains("newer than the handled test.event.v1"))
            #expect(!bad.stdout.contains("record \(readable) "))
            try await harness.store.mark(v2, status: .discarded, actor: "test", action: "discard")
            #expect(try await harness.choreo(["dlq", "check"]).status == 0, "only pending records count")
        }
    }
}
