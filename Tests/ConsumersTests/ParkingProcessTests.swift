import ChoreoTestSupport
import Consumers
import Foundation
import Kafka
import Postgres
import Testing

/// `choreo consumer run` in order-preserving mode, killed with SIGKILL right after the
/// commit that makes a released event its key's blocker.
@Suite("Consumer processes: parking survives kill -9 after a release commit")
struct ParkingProcessTests {
    static let delays = ["2s", "4s"]

    static func projectRoot() throws -> URL {
        let root = try ConsumerProcessTests.projectRoot()
        try """
        group: \(ConsumerTestHarness.group)
        service: event-log
        topics: [\(ConsumerTestHarness.topic)]
        handles: [test.event.v1]
        batchSize: 100
        preserveKeyOrder: true
        retry: { delays: [\(delays.joined(separator: ", "))] }
        """.write(
            to: root.appending(path: "consumers/\(ConsumerTestHarness.group).yaml"), atomically: true, encoding: .utf8)
        return root
    }

    @Test(
        "kill -9 right after the release commit: the released event's retry is still published; K applied in order, once"
    )
    func killAfterReleaseCommit() async throws {
        try await ConsumerTestHarness.with { harness in
            for delay in Self.delays {
                try harness.broker.createTopic("\(ConsumerTestHarness.group).retry.\(delay)", partitions: 1)
            }
            let connection = try await PostgresConnection.connect(configuration: harness.database)
            defer { Task { await connection.close() } }
            // The event-log table (as its migration creates it) and a trigger that fails K1 and
            // K2 while their flag rows exist.
            try await connection.simpleQuery(
                """
                CREATE TABLE IF NOT EXISTS event_log (
                    event_id uuid NOT NULL, consumer_group text NOT NULL, event_type text NOT NULL,
                    partition_key text, source text NOT NULL, correlation_id text, data jsonb NOT NULL,
                    event_time timestamptz NOT NULL, logged_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (consumer_group, event_id));
                CREATE TABLE fail_flags (name text PRIMARY KEY);
                INSERT INTO fail_flags VALUES ('K1'), ('K2');
                CREATE FUNCTION fail_flagged() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM fail_flags WHERE name = NEW.partition_key || (NEW.data->>'seq')) THEN
                        RAISE EXCEPTION 'flagged to fail';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER fail_flagged BEFORE INSERT ON event_log FOR EACH ROW EXECUTE FUNCTION fail_flagged();
                """)
            func count(_ sql: String) async throws -> Int {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql))
                return Int(try #require(rows.first).decode(Int64.self, column: 0))
            }
            try await harness.publish([("K", 1), ("K", 2), ("K", 3), ("other", 1)])
            let root = try Self.projectRoot()
            let arguments = [
                "consumer", "run", ConsumerTestHarness.group, "--root", root.path,
                "--bootstrap-servers", harness.broker.bootstrapServers, "--database-url",
                databaseURL(of: harness.database),
            ]
            let first = try ChoreoProcess.start(arguments, environment: ["CHOREO_TEST_KILL_AFTER_PARKED_COMMIT": "1"])
            try await waitUntil(timeout: .seconds(60)) {
                try await count("SELECT count(*)::bigint FROM parked_events") == 2
            }
            // K1's retry now succeeds and releases K2, which fails: the process dies right after
            // that commit, before K2's retry is published.
            try await connection.execute("DELETE FROM fail_flags WHERE name = 'K1'")
            #expect(await first.waitForExit(timeout: .seconds(30)) != nil, "the hook killed the process")
            #expect(try await count("SELECT count(*)::bigint FROM parked_publications") == 1)
            #expect(try await count("SELECT count(*)::bigint FROM event_log WHERE partition_key = 'K'") == 1)
            try await connection.execute("DELETE FROM fail_flags WHERE name = 'K2'")
            let second = try ChoreoProcess.start(arguments)
            try await waitUntil(timeout: .seconds(60)) {
                try await count("SELECT count(*)::bigint FROM event_log WHERE partition_key = 'K'") == 3
            }
            second.kill(signal: SIGTERM)
            #expect(await second.waitForExit(timeout: .seconds(20)) == 0)
            let order = try await connection.query(
                "SELECT data->>'seq' FROM event_log WHERE partition_key = 'K' ORDER BY logged_at"
            ).map { try $0.decode(String.self, column: 0) }
            #expect(order == ["1", "2", "3"])
            #expect(try await count("SELECT count(*)::bigint FROM parked_publications") == 0)
            #expect(try await count("SELECT count(*)::bigint FROM parked_keys") == 0)
        }
    }
}
