import Contracts
import Kafka
import Testing

@testable import DeadLetters

@Suite("Replay message headers and the list filter's SQL (pure)")
struct ReplayMessageTests {
    @Test("a replay keeps the event headers, drops dlq_/retry_ and older replay marks, adds the replay id and count")
    func headers() throws {
        var message = DeadLetterFixtures.message(
            offset: 1,
            extra: [
                KafkaHeader(key: "retry_attempt", string: "2"), KafkaHeader(key: "choreo_replay_id", string: "7"),
                KafkaHeader(key: "choreo_replay_count", string: "1"), KafkaHeader(key: "x-tenant", string: "acme"),
            ])
        message.key = Array("k1".utf8)
        let letter = try IncomingDeadLetter(message)
        let record = DeadLetterRecord(
            id: 3, group: letter.group, originalTopic: letter.originalTopic, originalPartition: 0, originalOffset: 1,
            sourceTopic: letter.originalTopic, dlqTopic: letter.dlqTopic, dlqPartition: 0, dlqOffset: 1,
            key: letter.key,
            value: letter.value, headers: letter.headers, eventID: nil, eventType: "test.event", eventVersion: 1,
            eventTime: nil, reason: letter.reason, error: letter.error, attempts: 3, failedAt: letter.failedAt,
            status: .replayed, replayCount: 1, parentID: nil, redrives: 0, nextRedriveAt: nil,
            updatedAt: letter.failedAt)
        let replay = ReplayMessage.make(record, topic: "test-group.replay", replayID: 42, data: nil)
        let keys = replay.headers.map(\.key)
        #expect(!keys.contains { $0.hasPrefix("dlq_") || $0.hasPrefix("retry_") })
        #expect(keys.filter { $0 == "choreo_replay_id" }.count == 1)
        #expect(replay.headers.last { $0.key == "choreo_replay_id" }?.stringValue == "42")
        #expect(replay.headers.last { $0.key == "choreo_replay_count" }?.stringValue == "2")
        for kept in ["ce_id", "ce_type", "ce_correlationid", "traceparent", "x-tenant"] {
            #expect(keys.contains(kept), "\(kept) is kept")
        }
        #expect(replay.key == record.key && replay.value == record.value && replay.partition == nil)
        let edited = ReplayMessage.make(record, topic: "t", replayID: 1, data: Array("{}".utf8))
        #expect(edited.value == Array("{}".utf8))
    }

    @Test("every filter value is a bound parameter, never SQL text")
    func filterSQL() {
        let filter = DeadLetterFilter(
            group: "g'; DROP TABLE dead_letters; --", type: "order.placed.v2", grep: "X", limit: 5)
        let query = filter.query(selecting: "id")
        #expect(!query.sql.contains("DROP TABLE"))
        #expect(query.binds.contains("g'; DROP TABLE dead_letters; --"))
        #expect(query.binds.contains("order.placed") && query.binds.contains("2"))
        #expect(query.binds.contains("x"), "grep is case-insensitive")
        #expect(query.binds.last == "5")
    }
}
