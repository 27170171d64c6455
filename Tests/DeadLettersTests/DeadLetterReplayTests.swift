import ChoreoTestSupport
import Consumers
import Contracts
import DeadLetters
import Foundation
import Kafka
import Synchronization
import Testing

@Suite("choreo dlq replay: to the failed group only, edited, dry, rate-limited, refused when undeclared", .serialized)
struct DeadLetterReplayTests {
    static let replayTopic = RetryPolicy.replayTopic(group: DeadLetterTestHarness.group)

    @Test("an edited contract violation is applied once by the group; replaying again changes nothing")
    func editedReplay() async throws {
        try await DeadLetterTestHarness.with { harness in
            try await harness.withRuntime { runtime in
                try await harness.withWorker {
                    let id = try await harness.publish(key: "cv", data: #"{"key":"cv","seq":-1}"#)
                    try await waitUntil(timeout: .seconds(60)) {
                        try await harness.store.list(DeadLetterFilter()).count == 1
                    }
                    let record = try #require(try await harness.store.list(DeadLetterFilter()).first)
                    #expect(record.reason == "contract-violation")
                    let run = try await harness.choreo([
                        "dlq", "replay", "\(record.id)", "--edit", #"{"key":"cv","seq":5}"#,
                    ])
                    #expect(run.status == 0, "stderr: \(run.stderr)")
                    #expect(run.stdout.contains("to \(Self.replayTopic)"))
                    try await waitUntil(timeout: .seconds(60)) { try await harness.effects(id) == 1 }
                    let again = try await harness.choreo(["dlq", "replay", "\(record.id)"])
                    #expect(again.status == 0, "stderr: \(again.stderr)")
                    try await waitUntil(timeout: .seconds(60)) { runtime.metrics.duplicates >= 1 }
                    #expect(try await harness.effects(id) == 1, "the second replay is skipped by idempotency")
                    let replayed = try await harness.reader(Self.replayTopic).read(count: 2, timeout: .seconds(20))
                    #expect(replayed.count == 2)
                    #expect(replayed.allSatisfy { $0.header("ce_id") == UUIDText.lowercased(id) })
                    #expect(replayed.allSatisfy { $0.header("ce_correlationid") == "corr-cv" })
                    #expect(replayed.allSatisfy { $0.header("traceparent")?.hasPrefix("00-0af7651916cd43dd") == true })
                    #expect(replayed.allSatisfy { !$0.headers.contains { $0.key.hasPrefix("dlq_") } })
                    #expect(replayed.map { $0.header("choreo_replay_count") } == ["1", "2"])
                    #expect(
                        replayed.allSatisfy { String(decoding: $0.value ?? [], as: UTF8.self).contains("\"seq\":5") })
                    let audit = try await harness.store.audit(record.id)
                    #expect(audit.map(\.action) == ["store", "replay", "replay"])
                    #expect(replayed.map { $0.header("choreo_replay_id") } == audit.dropFirst().map { "\($0.id)" })
                    #expect(audit[1].detail.contains("originalData") && audit[1].detail.contains("-1"))
                    let stored = try #require(try await harness.store.record(record.id))
                    #expect(stored.status == .replayed && stored.replayCount == 2)
                    // The other group on the original topic sees nothing: the topic still holds only the original.
                    let original = try await harness.reader(DeadLetterTestHarness.topic, partitions: 3).read(
                        timeout: .seconds(3)
                    ) { _ in false }
                    #expect(original.count == 1)
                }
            }
        }
    }

    @Test("a handler-error whose cause was fixed is applied once after replay")
    func fixedHandler() async throws {
        try await DeadLetterTestHarness.with { harness in
            let fixed = Mutex(false)
            let handler: EventHandler = { event, context in
                if !fixed.withLock({ $0 }) { throw PermanentFailure("the customer service is misconfigured") }
                try await DeadLetterTestHarness.recordEffect(event, context)
            }
            try await harness.withRuntime(handler: handler) { runtime in
                try await harness.withWorker {
                    let id = try await harness.publish(key: "he", data: #"{"key":"he","seq":1}"#)
                    try await waitUntil(timeout: .seconds(60)) {
                        try await harness.store.list(DeadLetterFilter(reason: "handler-error")).count == 1
                    }
                    fixed.withLock { $0 = true }
                    let record = try #require(try await harness.store.list(DeadLetterFilter()).first)
                    let run = try await harness.choreo(["dlq", "replay", "\(record.id)"])
                    #expect(run.status == 0, "stderr: \(run.stderr)")
                    try await waitUntil(timeout: .seconds(60)) { try await harness.effects(id) == 1 }
                    #expect(try await harness.store.record(record.id)?.status == .replayed)
                    #expect(try await harness.store.list(DeadLetterFilter()).count == 1, "no new dead letter")
                }
            }
        }
    }

    @Test("--dry-run publishes and records nothing")
    func dryRun() async throws {
        try await DeadLetterTestHarness.with { harness in
            let ids = try await harness.store.insert([try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1))])
            let id = try #require(ids.first)
            let run = try await harness.choreo(["dlq", "replay", "\(id)", "--dry-run"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(run.stdout.contains("would replay record \(id) to \(Self.replayTopic)"))
            #expect(run.stdout.contains("nothing published"))
            let published = try await harness.reader(Self.replayTopic).read(timeout: .seconds(3)) { _ in false }
            #expect(published.isEmpty)
            #expect(try await harness.store.record(id)?.status == .pending)
            #expect(try await harness.store.audit(id).map(\.action) == ["store"])
        }
    }

    @Test("--rate paces the replay; every selected record is published once")
    func rate() async throws {
        try await DeadLetterTestHarness.with { harness in
            try await harness.store.insert(
                try (1...5).map { try IncomingDeadLetter(DeadLetterFixtures.message(offset: Int64($0), key: "k\($0)")) }
            )
            let run = try await harness.choreo(["dlq", "replay", "--group", DeadLetterTestHarness.group, "--rate", "4"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let line = try #require(run.stdout.split(separator: "\n").last { $0.hasPrefix("replayed 5 record(s) in ") })
            let seconds = try #require(Double(line.split(separator: " ")[4].dropLast()))
            // By construction the fifth message waits until 4/4 s after the first (a floor, not a benchmark).
            #expect(seconds >= 1.0)
            let published = try await harness.reader(Self.replayTopic).read(count: 5, timeout: .seconds(20))
            #expect(published.count == 5)
            #expect(try await harness.store.list(DeadLetterFilter(status: .replayed)).count == 5)
            let none = try await harness.choreo(["dlq", "replay", "--group", DeadLetterTestHarness.group])
            #expect(none.stdout.contains("replayed 0 record(s)"), "without --status only pending records are replayed")
        }
    }

    @Test("undeclared destinations are refused: unknown group, --to-topic without --yes, a topic not carrying the type")
    func undeclared() async throws {
        try await DeadLetterTestHarness.with { harness in
            let ghost = try #require(
                try await harness.store.insert([
                    try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1, group: "ghost-group"))
                ]).first)
            let v2 = try #require(
                try await harness.store.insert([
                    try IncomingDeadLetter(DeadLetterFixtures.message(offset: 2, type: TestContracts.v2))
                ]).first)
            let plain = try #require(
                try await harness.store.insert([try IncomingDeadLetter(DeadLetterFixtures.message(offset: 3))]).first)
            let unknown = try await harness.choreo(["dlq", "replay", "\(ghost)"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("ghost-group is not declared in consumers/"))
            let unconfirmed = try await harness.choreo(["dlq", "replay", "\(plain)", "--to-topic"])
            #expect(unconfirmed.status == 1)
            #expect(unconfirmed.stderr.contains("add --yes"))
            let notCarried = try await harness.choreo(["dlq", "replay", "\(v2)", "--to-topic", "--yes"])
            #expect(notCarried.status == 1)
            #expect(notCarried.stderr.contains("does not carry test.event.v2"))
            let mixed = try await harness.choreo(["dlq", "replay", "\(plain)", "\(ghost)"])
            #expect(mixed.status == 1, "one refused record refuses the whole request")
            for topic in [Self.replayTopic, DeadLetterTestHarness.topic] {
                #expect(
                    try await harness.reader(topic, partitions: 3).read(timeout: .seconds(2)) { _ in false }.isEmpty)
            }
            #expect(try await harness.store.list(DeadLetterFilter(status: .pending)).count == 3)
        }
    }

    @Test("--edit with data that breaks the contract is refused and publishes nothing")
    func invalidEdit() async throws {
        try await DeadLetterTestHarness.with { harness in
            let id = try #require(
                try await harness.store.insert([try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1))]).first)
            let invalid = try await harness.choreo(["dlq", "replay", "\(id)", "--edit", #"{"key":"x"}"#])
            #expect(invalid.status == 1)
            #expect(invalid.stderr.contains("--edit does not satisfy test.event.v1"))
            #expect(invalid.stderr.contains("seq"))
            let notJSON = try await harness.choreo(["dlq", "replay", "\(id)", "--edit", "{nope"])
            #expect(notJSON.status == 1 && notJSON.stderr.contains("not JSON"))
            #expect(try await harness.reader(Self.replayTopic).read(timeout: .seconds(2)) { _ in false }.isEmpty)
            #expect(try await harness.store.audit(id).map(\.action) == ["store"])
        }
    }

    @Test("to the original topic: older than a receiver's processedRetention needs --force")
    func retention() async throws {
        try await DeadLetterTestHarness.with { harness in
            let old = Date().addingTimeInterval(-2 * 3600)
            let id = try #require(
                try await harness.store.insert([
                    try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1, time: old))
                ]).first)
            let refused = try await harness.choreo(["dlq", "replay", "\(id)", "--to-topic", "--yes"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("older than test-group's processedRetention"))
            let forced = try await harness.choreo(["dlq", "replay", "\(id)", "--to-topic", "--yes", "--force"])
            #expect(forced.status == 0, "stderr: \(forced.stderr)")
            #expect(forced.stdout.contains("to \(DeadLetterTestHarness.topic)"))
            let published = try await harness.reader(DeadLetterTestHarness.topic, partitions: 3).read(
                count: 1, timeout: .seconds(20))
            #expect(published.first?.header("choreo_replay_count") == "1")
        }
    }
}
