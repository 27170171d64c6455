import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Outbox
import Postgres
import Testing

@Suite("Relay blocked keys: one bad row must not stall, reorder or flood")
struct RelayBlockedKeyTests {
    /// Inserts a row as a foreign writer would; returns its id.
    @discardableResult
    static func insertForeign(
        key: String, seq: Int, topic: String = OutboxTestHarness.topic, headers: String = "{}",
        payload: String? = nil, on connection: PostgresConnection
    ) async throws -> Int64 {
        let data = payload ?? String(decoding: TestContracts.data(key: key, seq: seq), as: UTF8.self)
        let rows = try await connection.query(
            """
            INSERT INTO outbox (event_id, topic, partition_key, event_type, headers, payload)
            VALUES (gen_random_uuid(), \(topic), \(key), 'test.event.v1', \(headers)::jsonb, \(data)::json)
            RETURNING id
            """)
        return try #require(rows.first).decode(Int64.self, column: 0)
    }

    func configuration(_ harness: OutboxTestHarness) throws -> OutboxRelayConfiguration {
        var configuration = try harness.relayConfiguration()
        configuration.batchSize = 5
        configuration.maxBatchesInFlight = 2
        configuration.blockedKeyInitialBackoff = .milliseconds(300)
        configuration.blockedKeyMaximumBackoff = .seconds(5)
        return configuration
    }

    @Test(
        "a row with malformed headers blocks only its key: its later rows are never published before it, other keys drain, backoff grows, fixing it releases the key in order"
    )
    func malformedHeadersBlockOnlyTheirKey() async throws {
        try await OutboxTestHarness.with { harness in
            let connection = try await harness.connect()
            // The blocked key's rows come first and outnumber a batch: they must not fill the window.
            try await harness.writer.append(harness.event(key: "bad", seq: 1), on: connection)
            let blocker = try await Self.insertForeign(
                key: "bad", seq: 2, headers: #"{"ce_source": 7}"#, on: connection)
            for seq in 3...30 { try await harness.writer.append(harness.event(key: "bad", seq: seq), on: connection) }
            var expected: [String: Int] = [:]
            for i in 0..<60 {
                let key = "good\(i % 6)"
                expected[key] = (expected[key] ?? 0) + 1
                try await harness.writer.append(harness.event(key: key, seq: expected[key] ?? 0), on: connection)
            }
            try await harness.withRelay(try configuration(harness)) { relay in
                let others = expected
                let messages = try await harness.reader.read(timeout: .seconds(30)) { messages in
                    ArrivalCheck.isComplete(messages.filter { $0.keyString != "bad" }, expected: others)
                        && messages.contains { $0.keyString == "bad" }
                }
                ArrivalCheck.assertComplete(messages.filter { $0.keyString != "bad" }, expected: expected)
                let bad = messages.compactMap(Arrival.init).filter { $0.key == "bad" }
                #expect(bad.map(\.seq) == [1], "only the row before the blocker is published")

                // Visible: metrics, the blocked-keys table, and `choreo relay status`.
                try await waitUntil { relay.metrics.blockedKeys.first?.attempts ?? 0 >= 3 }
                let block = try #require(relay.metrics.blockedKeys.first)
                #expect(relay.metrics.blockedKeys.count == 1)
                #expect(block.key == "bad")
                #expect(block.blockerID == blocker)
                #expect(block.code == "malformed-row")
                // Backoff: attempts 1, 2, 3 wait 0.3 s, 0.6 s, then 1.2 s before the fourth.
                #expect(block.nextAttemptAt.timeIntervalSince(block.since) >= 2.0)
                // Delivered rows are deleted after their delivery reports, a moment after they
                // arrive: wait for the other keys' rows to be gone before reading the status.
                try await waitUntil {
                    let rows = try await connection.query("SELECT count(*)::bigint FROM outbox")
                    return try rows.first?.decode(Int64.self, column: 0) == 29
                }
                let status = try await ProcessRun.choreo([
                    "relay", "status", "--database-url", databaseURL(of: harness.database),
                ])
                #expect(status.status == 0)
                #expect(status.stdout.contains("key bad"))
                #expect(status.stdout.contains("malformed-row"))
                #expect(status.stdout.contains("waiting 29 rows"))
                #expect(status.stdout.contains("backlog: 29 pending rows"))
                let json = try await ProcessRun.choreo([
                    "relay", "status", "--json", "--database-url", databaseURL(of: harness.database),
                ])
                #expect(json.status == 0)
                let lines = try json.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
                #expect(lines.count == 2, "the backlog, then one line per blocked key: \(json.stdout)")
                #expect(lines.first?["kind"]?.stringValue == "backlog")
                #expect(lines.first?["pending_rows"] == .number(.int(29)))
                #expect(lines.last?["kind"]?.stringValue == "blocked-key")
                #expect(lines.last?["key"]?.stringValue == "bad")
                #expect(lines.last?["code"]?.stringValue == "malformed-row")
                #expect(lines.last?["waiting_rows"] == .number(.int(29)))
                let stillBad = try await harness.reader.read(timeout: .milliseconds(500)) { _ in false }
                #expect(stillBad.compactMap(Arrival.init).filter { $0.key == "bad" }.map(\.seq) == [1])

                // An operator fixes the row: the key is released and drains in order.
                try await connection.execute("UPDATE outbox SET headers = '{}' WHERE id = \(blocker)")
                expected["bad"] = 30
                let all = expected
                let drained = try await harness.reader.read(timeout: .seconds(30)) {
                    ArrivalCheck.isComplete($0, expected: all)
                }
                ArrivalCheck.assertComplete(drained, expected: expected)
                try await waitUntil { try await harness.pendingCount() == 0 }
                try await waitUntil { relay.metrics.blockedKeys.isEmpty }
                let left = try await connection.query("SELECT count(*)::bigint FROM outbox_blocked")
                #expect(try #require(left.first).decode(Int64.self, column: 0) == 0)
            }
            await connection.close()
        }
    }

    @Test("too large, undeclared topic and unknown topic each block their key with the reason; other keys drain")
    func eachCauseBlocksItsKey() async throws {
        try await OutboxTestHarness.with { harness in
            let connection = try await harness.connect()
            try await Self.insertForeign(
                key: "large", seq: 1,
                payload: #"{"key":"large","seq":1,"pad":""#
                    + String(repeating: "x", count: 1_000_100) + #""}"#, on: connection)
            try await Self.insertForeign(key: "large", seq: 2, on: connection)
            try await Self.insertForeign(key: "undeclared", seq: 1, topic: "outbox.undeclared", on: connection)
            try await Self.insertForeign(key: "undeclared", seq: 2, on: connection)
            try await Self.insertForeign(key: "unknown", seq: 1, topic: "outbox.missing", on: connection)
            try await Self.insertForeign(key: "unknown", seq: 2, on: connection)
            for seq in 1...20 { try await harness.writer.append(harness.event(key: "good", seq: seq), on: connection) }
            var configuration = try configuration(harness)
            configuration.declaredTopics = ["test.event.v1": [OutboxTestHarness.topic, "outbox.missing"]]
            try await harness.withRelay(configuration) { relay in
                let messages = try await harness.reader.read(timeout: .seconds(30)) {
                    ArrivalCheck.isComplete($0, expected: ["good": 20])
                }
                ArrivalCheck.assertComplete(messages, expected: ["good": 20])
                try await waitUntil { relay.metrics.blockedKeys.count == 3 }
                let codes = Dictionary(uniqueKeysWithValues: relay.metrics.blockedKeys.map { ($0.key ?? "", $0.code) })
                #expect(codes == ["large": "too-large", "undeclared": "undeclared-topic", "unknown": "unknown-topic"])
                #expect(relay.metrics.blockedKeys.allSatisfy { !$0.reason.contains("xxxx") })
                #expect(try await harness.pendingCount() == 6)
            }
            await connection.close()
        }
    }

    @Test("a new active relay keeps the recorded blocks: the key's later rows still wait")
    func blocksSurviveARestart() async throws {
        try await OutboxTestHarness.with { harness in
            let connection = try await harness.connect()
            try await Self.insertForeign(key: "bad", seq: 1, headers: #"{"ce_source": 7}"#, on: connection)
            try await harness.writer.append(harness.event(key: "bad", seq: 2), on: connection)
            try await harness.withRelay(try configuration(harness)) { relay in
                try await waitUntil { !relay.metrics.blockedKeys.isEmpty }
            }
            try await harness.withRelay(try configuration(harness)) { relay in
                try await waitUntil { relay.metrics.blockedKeys.first?.attempts ?? 0 >= 2 }
                try await harness.writer.append(harness.event(key: "ok", seq: 1), on: connection)
                _ = try await harness.reader.read(count: 1)
                let seen = try await harness.reader.read(timeout: .milliseconds(500)) { _ in false }
                #expect(seen.compactMap(Arrival.init).map(\.key) == ["ok"])
            }
            await connection.close()
        }
    }
}
