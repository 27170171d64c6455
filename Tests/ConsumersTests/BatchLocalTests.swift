import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Postgres
import Synchronization
import Testing

/// `HandlerContext.batchLocal`: state read once per optimistic attempt, changed by each
/// handler, flushed once before the commit, dropped with an attempt that does not commit.
@Suite("Consumer runtime: batch locals (PostgreSQL + embedded broker)")
struct BatchLocalTests {
    /// Counts handled events in `tally`; `tally_log` records its committed loads and flushes.
    final class Tally: BatchLocal {
        let added = Mutex(0)

        static func load(for events: [ConsumedEvent], on connection: PostgresConnection) async throws -> Self {
            try await connection.execute("INSERT INTO tally_log (kind, events) VALUES ('load', \(events.count))")
            return Self()
        }

        required init() {}

        func flush(on connection: PostgresConnection) async throws {
            let added = added.withLock { $0 }
            try await connection.pipeline("UPDATE tally SET n = n + \(added)")
            try await connection.execute(flushLog)
        }

        var flushLog: PostgresQuery { "INSERT INTO tally_log (kind, events) VALUES ('flush', 0)" }
    }

    /// A tally whose flush always fails (a `CHECK` violation).
    final class FailingTally: BatchLocal {
        static func load(for events: [ConsumedEvent], on connection: PostgresConnection) async throws -> Self { Self() }
        required init() {}
        func flush(on connection: PostgresConnection) async throws {
            try await connection.execute("INSERT INTO tally_log (kind, events) VALUES ('refused', 0)")
        }
    }

    /// Counts the event in the batch local `local` when there is one, else at once; records
    /// how in `applied`. Fails `seq == failing` permanently.
    static func handler<Local: BatchLocal>(_ local: Local.Type, failing: Int? = nil) -> EventHandler {
        { event, context in
            let seq = try event.decode(TestSeq.self).seq
            let batch = try await context.batchLocal(local)
            let via = batch == nil ? "alone" : "batch"
            if let tally = batch as? Tally {
                tally.added.withLock { $0 += 1 }
            } else if batch == nil {
                try await context.connection.execute("UPDATE tally SET n = n + 1")
            }
            try await context.write("INSERT INTO applied (event_id, via) VALUES (\(event.envelope.id), \(via))")
            if seq == failing { throw PermanentFailure("seq \(seq) fails") }
        }
    }

    private static func install(_ harness: ConsumerTestHarness) async throws {
        try await PostgresConnection.withConnection(configuration: harness.database) { connection in
            try await connection.simpleQuery(
                """
                CREATE TABLE tally (n bigint NOT NULL);
                INSERT INTO tally VALUES (0);
                CREATE TABLE tally_log (kind text NOT NULL CHECK (kind <> 'refused'), events int NOT NULL);
                CREATE TABLE applied (event_id uuid NOT NULL, via text NOT NULL);
                """)
        }
    }

    private struct Observed: Equatable {
        var tally: Int
        /// Rows in `applied` per event, and how many were applied in a batch local.
        var applied: [UUID: Int]
        var viaBatch: Int
        var loads: Int
        var loadedEvents: Int
        var flushes: Int
    }

    private static func observe(_ harness: ConsumerTestHarness) async throws -> Observed {
        try await PostgresConnection.withConnection(configuration: harness.database) { connection in
            let tally = try await connection.query("SELECT n FROM tally").firstRow(of: "tally").decode(
                Int.self, column: 0)
            var applied: [UUID: Int] = [:]
            var viaBatch = 0
            for row in try await connection.query("SELECT event_id, via FROM applied") {
                applied[try row.decode(UUID.self, column: 0), default: 0] += 1
                if try row.decode(String.self, column: 1) == "batch" { viaBatch += 1 }
            }
            let log = try await connection.query(
                """
                SELECT count(*) FILTER (WHERE kind = 'load')::int, coalesce(sum(events), 0)::int,
                       count(*) FILTER (WHERE kind = 'flush')::int FROM tally_log
                """
            ).firstRow(of: "tally_log")
            return Observed(
                tally: tally, applied: applied, viaBatch: viaBatch, loads: try log.decode(Int.self, column: 0),
                loadedEvents: try log.decode(Int.self, column: 1), flushes: try log.decode(Int.self, column: 2))
        }
    }

    @Test("one instance per batch: loaded with the batch's events, flushed once before the commit")
    func sharedAndFlushedOnce() async throws {
        try await ConsumerTestHarness.with { harness in
            try await Self.install(harness)
            let ids = try await harness.publish((1...40).map { ("K\($0 % 4)", $0) })
            try await harness.withRuntime(harness.configuration(handler: Self.handler(Tally.self))) { runtime in
                try await waitUntil { runtime.metrics.handled == 40 }
            }
            let observed = try await Self.observe(harness)
            #expect(observed.tally == 40)
            #expect(observed.applied == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            #expect(observed.viaBatch == 40)
            // Every committed batch loaded once and flushed once; fewer loads than events.
            #expect(observed.loads >= 1 && observed.loads < 40)
            #expect(observed.flushes == observed.loads)
            #expect(observed.loadedEvents == 40)
        }
    }

    @Test("a failing event: the batch is redone without batch locals and nothing is counted twice")
    func redoneAloneAfterAFailure() async throws {
        try await ConsumerTestHarness.with { harness in
            try await Self.install(harness)
            let ids = try await harness.publish((1...20).map { ("K\($0 % 4)", $0) })
            let configuration = harness.configuration(handler: Self.handler(Tally.self, failing: 7))
            try await harness.withRuntime(configuration) { runtime in
                try await waitUntil { runtime.metrics.handled == 19 && runtime.metrics.deadLettered == 1 }
            }
            let observed = try await Self.observe(harness)
            #expect(observed.tally == 19)
            #expect(observed.applied == Dictionary(uniqueKeysWithValues: ids.filter { $0 != ids[6] }.map { ($0, 1) }))
            // The failing event's batch committed from its savepoint redo, per event.
            #expect(observed.viaBatch < 19)
            #expect(observed.flushes == observed.loads)
        }
    }

    @Test("a flush that fails: the batch is redone with a savepoint per event and applied once")
    func failedFlushRedoesTheBatch() async throws {
        try await ConsumerTestHarness.with { harness in
            try await Self.install(harness)
            let ids = try await harness.publish((1...20).map { ("K\($0 % 4)", $0) })
            try await harness.withRuntime(harness.configuration(handler: Self.handler(FailingTally.self))) { runtime in
                try await waitUntil { runtime.metrics.handled == 20 }
                #expect(runtime.metrics.deadLettered == 0)
                #expect(runtime.metrics.retried == 0)
            }
            let observed = try await Self.observe(harness)
            #expect(observed.tally == 20)
            #expect(observed.applied == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            #expect(observed.viaBatch == 0)
        }
    }
}

/// The `seq` of a `test.event.v1`.
private struct TestSeq: Decodable { var seq: Int }
