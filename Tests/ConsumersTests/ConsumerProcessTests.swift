import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Kafka
import Postgres
import Testing

/// `choreo consumer …` as separate processes: run killed with SIGKILL mid-stream, list, status.
@Suite("Consumer processes: choreo consumer run (kill -9 and restart), list, status")
struct ConsumerProcessTests {
    /// A project root with the test contract, its topics and a group run by the built-in
    /// `event-log` service.
    static func projectRoot() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-consumer-process-\(UUID())")
        let registry = try TestContracts.registry()
        let contracts = root.appending(path: "contracts/test.event")
        try FileManager.default.createDirectory(at: contracts, withIntermediateDirectories: true)
        for type in registry.types {
            guard let contract = registry.contract(for: type) else { continue }
            try Data(contract.bytes).write(to: contracts.appending(path: "v\(type.version).schema.json"))
        }
        let topics = root.appending(path: "topics")
        try FileManager.default.createDirectory(at: topics, withIntermediateDirectories: true)
        try """
        name: \(ConsumerTestHarness.topic)
        kind: events
        partitions: \(ConsumerTestHarness.partitions)
        eventTypes: [test.event.v1]
        """.write(to: topics.appending(path: "events.yaml"), atomically: true, encoding: .utf8)
        let consumers = root.appending(path: "consumers")
        try FileManager.default.createDirectory(at: consumers, withIntermediateDirectories: true)
        try """
        group: \(ConsumerTestHarness.group)
        service: event-log
        topics: [\(ConsumerTestHarness.topic)]
        handles: [test.event.v1]
        batchSize: 100
        retry: { delays: [300ms, 600ms] }
        """.write(to: consumers.appending(path: "\(ConsumerTestHarness.group).yaml"), atomically: true, encoding: .utf8)
        return root
    }

    @Test("kill -9 of a consumer mid-stream: after restart every event's effects are applied exactly once")
    func killNineAndRestart() async throws {
        try await ConsumerTestHarness.with { harness in
            // Enough events that the kill (after 300) lands mid-stream even when the test's own
            // polling is slowed down by a loaded machine.
            let total = 20_000
            try await harness.publish((0..<total).map { ("k\($0 % 17)", $0) })
            let root = try Self.projectRoot()
            let arguments = [
                "consumer", "run", ConsumerTestHarness.group, "--root", root.path,
                "--bootstrap-servers", harness.broker.bootstrapServers, "--database-url",
                databaseURL(of: harness.database),
            ]
            let connection = try await PostgresConnection.connect(configuration: harness.database)
            defer { Task { await connection.close() } }
            func logged() async throws -> Int {
                let exists = try await connection.query("SELECT to_regclass('event_log') IS NOT NULL")
                guard try exists.first?.decode(Bool.self, column: 0) == true else { return 0 }
                let rows = try await connection.query("SELECT count(*)::bigint FROM event_log")
                return Int(try #require(rows.first).decode(Int64.self, column: 0))
            }
            let first = try ChoreoProcess.start(arguments)
            try await waitUntil(timeout: .seconds(60)) { try await logged() >= 300 }
            first.kill(signal: SIGKILL)
            _ = await first.waitForExit(timeout: .seconds(10))
            let atKill = try await logged()
            #expect(atKill < total, "the kill happened mid-stream")
            let second = try ChoreoProcess.start(arguments)
            var last = atKill
            do {
                try await waitUntil(timeout: .seconds(90)) {
                    last = try await logged()
                    return last == total
                }
            } catch {
                Issue.record("after the restart event_log reached \(last) of \(total) rows (\(atKill) at the kill)")
                throw error
            }
            second.kill(signal: SIGTERM)
            #expect(await second.waitForExit(timeout: .seconds(20)) == 0, "SIGTERM stops the group cleanly")
            let processed = try await connection.query(
                "SELECT count(*)::bigint, count(DISTINCT event_id)::bigint FROM processed_events WHERE consumer_group = \(ConsumerTestHarness.group)"
            )
            let row = try #require(processed.first)
            #expect(try row.decode(Int64.self, column: 0) == Int64(total))
            #expect(try row.decode(Int64.self, column: 1) == Int64(total))
            #expect(try await logged() == total)
            let letters = try await harness.deadLetters.read(timeout: .milliseconds(500)) { _ in false }
            #expect(letters.isEmpty, "no event was dead-lettered")
        }
    }

    @Test("consumer list shows the group; consumer status shows committed offsets, lag and the dead-letter backlog")
    func listAndStatus() async throws {
        try await ConsumerTestHarness.with { harness in
            let root = try Self.projectRoot()
            let list = try await ProcessRun.choreo(["consumer", "list", "--root", root.path])
            #expect(list.status == 0, "stderr: \(list.stderr)")
            #expect(list.stdout.contains("test-group") && list.stdout.contains("event-log"))
            // 30 events and one garbage message processed and committed, then 20 more waiting.
            try await harness.publish((0..<30).map { ("k\($0 % 7)", $0) })
            try await harness.publishRaw(key: "garbage", value: [0xFF, 0x00], headers: [])
            try await harness.withRuntime(harness.configuration()) { runtime in
                try await waitUntil { runtime.metrics.handled == 30 && runtime.metrics.deadLettered == 1 }
            }
            try await harness.publish((30..<50).map { ("k\($0 % 7)", $0) })
            let status = try await ProcessRun.choreo([
                "consumer", "status", ConsumerTestHarness.group, "--root", root.path, "--bootstrap-servers",
                harness.broker.bootstrapServers,
            ])
            #expect(status.status == 0, "stderr: \(status.stderr)")
            let rows = status.stdout.split(separator: "\n").map { $0.split(separator: " ") }
                .filter { $0.first.map(String.init) == ConsumerTestHarness.topic }
            #expect(rows.count == ConsumerTestHarness.partitions, "one row per partition: \(status.stdout)")
            func column(_ index: Int) -> Int {
                rows.compactMap { $0.count > index ? Int($0[index]) : nil }.reduce(0, +)
            }
            #expect(column(2) == 31, "committed: the 30 events and the dead-lettered message")
            #expect(column(3) == 51, "high watermarks")
            #expect(column(4) == 20, "lag: the 20 events published after the run")
            #expect(
                status.stdout.contains(
                    "retry backlog: 0; dead letters in \(RetryPolicy.deadLetterTopic(group: ConsumerTestHarness.group)): 1"
                ))
            let unknown = try await ProcessRun.choreo([
                "consumer", "status", "no-such-group", "--root", root.path, "--bootstrap-servers",
                harness.broker.bootstrapServers,
            ])
            // --json: one object per line, per partition and then the group's backlog.
            let json = try await ProcessRun.choreo([
                "consumer", "status", ConsumerTestHarness.group, "--json", "--root", root.path, "--bootstrap-servers",
                harness.broker.bootstrapServers,
            ])
            #expect(json.status == 0, "stderr: \(json.stderr)")
            let objects = try json.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            let partitions = objects.filter {
                $0["kind"]?.stringValue == "partition" && $0["topic"]?.stringValue == ConsumerTestHarness.topic
            }
            func sum(_ field: String) -> Double {
                partitions.compactMap { value -> Double? in
                    if case .number(let number)? = value[field] { return number.doubleValue }
                    return nil
                }.reduce(0, +)
            }
            #expect(partitions.count == ConsumerTestHarness.partitions)
            #expect(sum("committed") == 31 && sum("high") == 51 && sum("lag") == 20)
            let summary = objects.first { $0["kind"]?.stringValue == "group" }
            #expect(summary?["dead_letters"] == .number(.int(1)))
            #expect(summary?["retry_backlog"] == .number(.int(0)))
            let listed = try await ProcessRun.choreo(["consumer", "list", "--json", "--root", root.path])
            #expect(listed.status == 0)
            let groups = try listed.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            #expect(groups.count == 1)
            #expect(groups.first?["group"]?.stringValue == ConsumerTestHarness.group)
            #expect(groups.first?["service"]?.stringValue == "event-log")
            #expect(groups.first?["topics"] == .array([.string(ConsumerTestHarness.topic)]))
            #expect(unknown.status != 0)
            #expect(unknown.stderr.contains("no consumer group 'no-such-group'"))
        }
    }
}
