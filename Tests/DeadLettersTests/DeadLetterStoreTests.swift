import ChoreoTestSupport
import Consumers
import Contracts
import DeadLetters
import Foundation
import Kafka
import Testing

@Suite("Dead-letter store: insert once, filters, marks with audit")
struct DeadLetterStoreTests {
    @Test("the same dead letter stored twice is one record, with every header kept")
    func insertOnce() async throws {
        try await DeadLetterFixtures.withStore { store, _ in
            let letter = try IncomingDeadLetter(DeadLetterFixtures.message(offset: 7))
            #expect(try await store.insert([letter]).count == 1)
            #expect(try await store.insert([letter, letter]).isEmpty)
            let records = try await store.list(DeadLetterFilter())
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(record.headers == letter.headers)
            #expect(record.eventType == "test.event" && record.eventVersion == 1)
            #expect(record.reason == "handler-error" && record.attempts == 3 && record.status == .pending)
            #expect(record.keyText == "k1")
            #expect(try await store.audit(record.id).map(\.action) == ["store"])
        }
    }

    @Test(
        "a message dead-lettered again after a kill (same original coordinates, a later dead-letter offset) is one record"
    )
    func deadLetteredAgainAcrossAKill() async throws {
        try await DeadLetterFixtures.withStore { store, _ in
            // The group dead-lettered offset 7, was killed before committing, read offset 7
            // again and dead-lettered it again: a second message on its dead-letter topic,
            // later, with another failure time and error, and the same original coordinates.
            let id = UUID()
            let first = try IncomingDeadLetter(DeadLetterFixtures.message(offset: 7, id: id))
            var copy = DeadLetterFixtures.message(
                offset: 7, error: "boom again", id: id, failedAt: Date().addingTimeInterval(5))
            copy.offset = 8
            let again = try IncomingDeadLetter(copy)
            #expect(again.dlqOffset == 8 && first.dlqOffset == 7)
            #expect(try await store.insert([first]).count == 1)
            #expect(try await store.insert([again]).isEmpty, "the copy is not a second record")
            // Both copies in one batch (a worker that read them together) store one record too.
            try await store.pool.withConnection { try await $0.execute("TRUNCATE dead_letter_audit, dead_letters") }
            #expect(try await store.insert([first, again]).count == 1)
            let records = try await store.list(DeadLetterFilter())
            #expect(records.count == 1)
            #expect(records.first?.dlqOffset == 7, "the first copy is kept")
            #expect(try await store.stats().total == 1)
        }
    }

    @Test("a message without the dlq_* headers is refused with the header to fix")
    func malformed() throws {
        let message = KafkaConsumerMessage(
            topic: "x.dlq", partition: 0, offset: 1, key: nil, value: nil, headers: [], timestamp: nil)
        #expect {
            try IncomingDeadLetter(message)
        } throws: { error in
            "\(error)".contains("dlq_consumer_group") || "\(error)".contains("dlq_original")
        }
    }

    @Test("list filters by group, reason, type, key, status, time and text")
    func filters() async throws {
        try await DeadLetterFixtures.withStore { store, _ in
            let old = Date().addingTimeInterval(-7200)
            try await store.insert([
                try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1, key: "a", reason: "handler-error")),
                try IncomingDeadLetter(
                    DeadLetterFixtures.message(offset: 2, key: "b", reason: "contract-violation", error: "seq: minimum")
                ),
                try IncomingDeadLetter(DeadLetterFixtures.message(offset: 3, key: "c", group: "other", failedAt: old)),
                try IncomingDeadLetter(
                    DeadLetterFixtures.message(
                        offset: 4, key: "d", reason: "oversized", value: Array("{\"needle\":1}".utf8))),
            ])
            func ids(_ filter: DeadLetterFilter) async throws -> [Int64] {
                try await store.list(filter).map(\.originalOffset)
            }
            #expect(try await ids(DeadLetterFilter(group: "other")) == [3])
            #expect(try await ids(DeadLetterFilter(reason: "contract-violation")) == [2])
            #expect(try await ids(DeadLetterFilter(reason: "oversized")) == [4], "unknown reasons are kept")
            #expect(try await ids(DeadLetterFilter(type: "test.event.v1")).count == 4)
            #expect(try await ids(DeadLetterFilter(type: "test.event.v2")).isEmpty)
            #expect(try await ids(DeadLetterFilter(key: "b")) == [2])
            #expect(try await ids(DeadLetterFilter(until: Date().addingTimeInterval(-3600))) == [3])
            #expect(try await ids(DeadLetterFilter(since: Date().addingTimeInterval(-3600))) == [1, 2, 4])
            #expect(try await ids(DeadLetterFilter(grep: "MINIMUM")) == [2])
            #expect(try await ids(DeadLetterFilter(grep: "needle")) == [4])
            #expect(try await ids(DeadLetterFilter(limit: 2)) == [1, 2])
            let first = try #require(try await store.list(DeadLetterFilter(key: "a")).first)
            try await store.mark(first.id, status: .held, actor: "tester", action: "hold")
            #expect(try await ids(DeadLetterFilter(status: .held)) == [1])
            #expect(try await store.audit(first.id).map(\.action) == ["store", "hold"])
            let stats = try await store.stats()
            #expect(stats.total == 4)
            #expect(stats.counts.contains { $0.dimension == "group" && $0.value == "other" && $0.count == 1 })
            #expect(stats.counts.contains { $0.dimension == "age" && $0.value == "1h-1d" && $0.count == 1 })
        }
    }

    @Test("re-drive rules: scheduled after the delay; a chain at the limit is held")
    func redriveScheduling() async throws {
        try await DeadLetterFixtures.withStore { store, _ in
            let rule = RedriveRule(delay: .seconds(600), maxRedrives: 1)
            let failedAt = Date()
            let ids = try await store.insert(
                [try IncomingDeadLetter(DeadLetterFixtures.message(offset: 1, failedAt: failedAt))],
                rule: { _, reason in reason == "handler-error" ? rule : nil })
            let id = try #require(ids.first)
            let record = try #require(try await store.record(id))
            let due = try #require(record.nextRedriveAt)
            #expect(abs(due.timeIntervalSince(failedAt) - 600) < 1)
            #expect(try await store.dueRedrives(groups: [DeadLetterFixtures.group]).isEmpty, "not due for 10 minutes")
        }
    }
}
