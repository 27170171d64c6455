import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Kafka
import Postgres
import Synchronization
import Testing

@Suite("Consumer runtime (PostgreSQL + embedded broker)")
struct ConsumerRuntimeTests {
    @Test("every event is applied exactly once; a duplicate publish and a redelivery are skipped")
    func duplicatesAppliedOnce() async throws {
        try await ConsumerTestHarness.with { harness in
            let ids = try await harness.publish((0..<200).map { ("k\($0 % 7)", $0) })
            let duplicateID = ids[5]
            // A deliberate duplicate: the same ce_id published again.
            try await harness.publish([("k5", 5)], id: duplicateID)
            try await harness.withRuntime(harness.configuration()) { runtime in
                try await waitUntil { runtime.metrics.handled == 200 && runtime.metrics.duplicates >= 1 }
            }
            #expect(try await harness.effectCounts().values.allSatisfy { $0 == 1 })
            #expect(try await harness.effectCounts().count == 200)
            // A crash after the database commit but before the offset commit redelivers the
            // batch: rewind the group's offsets to the start and run again.
            // Join the group (as the restarted instance would) and move its offsets back.
            var rewindConfiguration = KafkaConsumerConfiguration(
                client: KafkaConfiguration(bootstrapServers: harness.broker.bootstrapServers),
                groupID: ConsumerTestHarness.group)
            rewindConfiguration.sessionTimeout = .seconds(6)
            let consumer = try KafkaConsumer(configuration: rewindConfiguration)
            try consumer.subscribe(topics: [ConsumerTestHarness.topic])
            try await waitUntil {
                _ = try await consumer.poll(maxMessages: 1, timeout: .milliseconds(100))
                return try consumer.assignment.count == ConsumerTestHarness.partitions
            }
            try await consumer.commit(
                (0..<ConsumerTestHarness.partitions).map {
                    KafkaTopicPartitionOffset(topic: ConsumerTestHarness.topic, partition: Int32($0), offset: 0)
                })
            await consumer.close()
            try await harness.withRuntime(harness.configuration()) { runtime in
                try await waitUntil { runtime.metrics.duplicates == 201 }
                #expect(runtime.metrics.handled == 0)
            }
            let counts = try await harness.effectCounts()
            #expect(counts.count == 200)
            #expect(counts.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("a redelivery mixing processed and new events applies only the new ones, once, with no false failures")
    func mixedRedelivery() async throws {
        try await ConsumerTestHarness.with { harness in
            // Reads in the batch transaction and ignores a failure: with an aborted
            // transaction (a duplicate's failed processed-event insert) its write fails too.
            let careless: EventHandler = { event, context in
                _ = try? await context.connection.query("SELECT 1")
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            let first = try await harness.publish((0..<60).map { ("k\($0 % 5)", $0) })
            try await harness.withRuntime(harness.configuration(handler: careless)) { runtime in
                try await waitUntil { runtime.metrics.handled == 60 }
            }
            // Every processed event again, each after a new one: each batch mixes both, and
            // begins with a new event (whose handler meets the aborted transaction first).
            var events: [(key: String, seq: Int)] = []
            var ids: [UUID] = []
            for n in 0..<60 {
                events += [("k\(n % 5)", 100 + n), ("k\(n % 5)", n)]
                ids += [UUID(), first[n]]
            }
            try await harness.publish(events, eventIDs: ids)
            try await expectNewAppliedOnce(harness, handler: careless)
        }
    }

    @Test("a restarted consumer whose first batches are redeliveries applies pipelined writes of new events once")
    func redeliveryFirstWithPipelinedWrites() async throws {
        try await ConsumerTestHarness.with { harness in
            // Writes through `context.write`: pipelined behind the batch's processed-event
            // insert, on a fresh connection whose statements are prepared in that pipeline.
            let pipelined: EventHandler = { event, context in
                struct TestEvent: Decodable { var key: String; var seq: Int }
                let data = try event.decode(TestEvent.self)
                try await context.write(
                    "INSERT INTO effects (event_id, key, seq) VALUES (\(event.envelope.id), \(data.key), \(data.seq))")
            }
            let first = try await harness.publish((0..<60).map { ("k\($0 % 5)", $0) })
            try await harness.withRuntime(harness.configuration(handler: pipelined)) { runtime in
                try await waitUntil { runtime.metrics.handled == 60 }
            }
            // A restart: the old events again (as after a crash before the offset commit), then new ones.
            try await harness.publish((0..<60).map { ("k\($0 % 5)", $0) }, eventIDs: first)
            try await harness.publish((0..<60).map { ("k\($0 % 5)", 100 + $0) })
            try await expectNewAppliedOnce(harness, handler: pipelined)
        }
    }

    /// Runs `handler` over 60 processed events delivered again and 60 new ones: only the
    /// new ones are applied, each once, and nothing is retried or dead-lettered.
    private func expectNewAppliedOnce(_ harness: ConsumerTestHarness, handler: @escaping EventHandler)
        async throws
    {
        try await harness.withRuntime(harness.configuration(handler: handler)) { runtime in
            try await waitUntil { runtime.metrics.handled + runtime.metrics.duplicates >= 120 }
            #expect(runtime.metrics.handled == 60)
            #expect(runtime.metrics.duplicates == 60)
            #expect(runtime.metrics.retried == 0 && runtime.metrics.deadLettered == 0)
        }
        let counts = try await harness.effectCounts()
        #expect(counts.count == 120)
        #expect(counts.values.allSatisfy { $0 == 1 })
    }

    @Test("a handler failing twice is retried through the retry topics and applied once")
    func retriedThroughRetryTopics() async throws {
        try await ConsumerTestHarness.with { harness in
            let failures = Mutex<[UUID: Int]>([:])
            let flaky: EventHandler = { event, context in
                let struck = failures.withLock { map -> Bool in
                    guard event.data == TestContracts.data(key: "flaky", seq: 1) else { return false }
                    map[event.envelope.id, default: 0] += 1
                    return map[event.envelope.id, default: 0] <= 2
                }
                struct Flaky: Error {}
                if struck { throw Flaky() }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            let ids = try await harness.publish([("flaky", 1), ("steady", 1), ("steady", 2)])
            try await harness.withRuntime(harness.configuration(handler: flaky)) { runtime in
                try await waitUntil { try await harness.effectCounts().count == 3 }
                #expect(runtime.metrics.retried == 2)
                #expect(runtime.metrics.deadLettered == 0)
            }
            let counts = try await harness.effectCounts()
            #expect(counts[ids[0]] == 1)
            #expect(failures.withLock { $0[ids[0]] } == 3)
        }
    }

    @Test("a handler that always fails ends in the dead-letter topic with every dlq header; others flow")
    func alwaysFailingIsDeadLettered() async throws {
        try await ConsumerTestHarness.with { harness in
            let poison: EventHandler = { event, context in
                struct Boom: Error, CustomStringConvertible { var description: String { "boom: rule never passes" } }
                if event.data == TestContracts.data(key: "poison", seq: 1) { throw Boom() }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            let ids = try await harness.publish([("poison", 1)] + (0..<50).map { ("other\($0 % 5)", $0) })
            try await harness.withRuntime(harness.configuration(handler: poison)) { runtime in
                let letters = try await harness.deadLetters.read(count: 1)
                let letter = try #require(letters.first)
                #expect(letter.header("ce_id") == ids[0].uuidString.lowercased())
                #expect(letter.header("ce_type") == "test.event.v1")
                #expect(letter.keyString == "poison")
                #expect(letter.value == TestContracts.data(key: "poison", seq: 1))
                #expect(letter.header("dlq_original_topic") == ConsumerTestHarness.topic)
                #expect(letter.header("dlq_original_partition").flatMap { Int32($0) } != nil)
                #expect(letter.header("dlq_original_offset") == "0")
                #expect(letter.header("dlq_consumer_group") == ConsumerTestHarness.group)
                #expect(letter.header("dlq_reason") == "retries-exhausted")
                #expect(letter.header("dlq_error") == "boom: rule never passes")
                #expect(letter.header("dlq_attempts") == "3")
                #expect(letter.header("dlq_failed_at").flatMap { try? Date($0, strategy: .iso8601) } != nil)
                #expect(letter.headers.allSatisfy { !$0.key.hasPrefix("retry_") })
                try await waitUntil { try await harness.effectCounts().count == 50 }
                #expect(runtime.metrics.deadLettered == 1)
            }
        }
    }

    @Test("a handler that swallows its own failed statement fails only its event; the consumer keeps running")
    func swallowedStatementFailureFailsOnlyItsEvent() async throws {
        try await ConsumerTestHarness.with { harness in
            let careless: EventHandler = { event, context in
                if event.key == "careless" {
                    // The error is ignored, but the transaction is aborted all the same.
                    _ = try? await context.connection.execute("INSERT INTO no_such_table VALUES (\(1))")
                    return
                }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            let ids = try await harness.publish(
                (0..<20).map { ("other\($0 % 5)", $0) } + [("careless", 1)] + (20..<40).map { ("other\($0 % 5)", $0) })
            try await harness.withRuntime(harness.configuration(handler: careless)) { runtime in
                let letters = try await harness.deadLetters.read(count: 1)
                #expect(letters.first?.header("ce_id") == ids[20].uuidString.lowercased())
                #expect(letters.first?.header("dlq_reason") == "retries-exhausted")
                try await waitUntil { try await harness.effectCounts().count == 40 }
                #expect(runtime.metrics.deadLettered == 1)
            }
            #expect(try await harness.effectCounts().values.allSatisfy { $0 == 1 })
        }
    }

    @Test("a pipelined write that fails fails only its own event; the batch's other writes are applied once")
    func failingPipelinedWriteFailsOnlyItsEvent() async throws {
        try await ConsumerTestHarness.with { harness in
            let writer: EventHandler = { event, context in
                struct TestEvent: Decodable { var key: String; var seq: Int }
                let data = try event.decode(TestEvent.self)
                // The poison's write breaks a NOT NULL constraint; the handler itself does not throw.
                let eventID: UUID? = data.key == "poison" ? nil : event.envelope.id
                try await context.write(
                    "INSERT INTO effects (event_id, key, seq) VALUES (\(eventID), \(data.key), \(data.seq))")
            }
            let ids = try await harness.publish(
                (0..<20).map { ("other\($0 % 5)", $0) } + [("poison", 1)] + (20..<40).map { ("other\($0 % 5)", $0) })
            try await harness.withRuntime(harness.configuration(handler: writer)) { runtime in
                let letters = try await harness.deadLetters.read(count: 1)
                let letter = try #require(letters.first)
                #expect(letter.header("ce_id") == ids[20].uuidString.lowercased())
                #expect(letter.header("dlq_reason") == "retries-exhausted")
                #expect(letter.header("dlq_error")?.contains("23502") == true)
                try await waitUntil { try await harness.effectCounts().count == 40 }
                let counts = try await harness.effectCounts()
                #expect(counts.values.allSatisfy { $0 == 1 })
                #expect(counts[ids[20]] == nil)
                #expect(runtime.metrics.batchRedos >= 1)
            }
        }
    }

    @Test("garbage, a missing ce_type, an unknown type and a contract violation go straight to the dead-letter topic")
    func malformedMessagesDeadLettered() async throws {
        try await ConsumerTestHarness.with { harness in
            let good = EventEnvelope(
                id: UUID(), type: TestContracts.v1, source: "/tests", time: Date(), subject: nil,
                correlationID: nil, causationID: nil, traceparent: nil)
            try await harness.publishRaw(key: "garbage", value: [0xFF, 0x00, 0x13], headers: [])
            try await harness.publishRaw(
                key: "no-type", value: TestContracts.data(key: "no-type", seq: 1),
                headers: good.kafkaHeaders().filter { $0.key != "ce_type" })
            var unknown = good
            unknown.id = UUID()
            unknown.type = EventType(name: "no.such.event", version: 1)
            try await harness.publishRaw(key: "unknown", value: Array("{}".utf8), headers: unknown.kafkaHeaders())
            var invalid = good
            invalid.id = UUID()
            try await harness.publishRaw(
                key: "invalid", value: Array(#"{"key":"invalid","seq":-4}"#.utf8), headers: invalid.kafkaHeaders())
            var notJSON = good
            notJSON.id = UUID()
            try await harness.publishRaw(
                key: "not-json", value: Array("not json".utf8), headers: notJSON.kafkaHeaders())
            try await harness.withRuntime(harness.configuration()) { runtime in
                let letters = try await harness.deadLetters.read(count: 5)
                var reasons: [String: String] = [:]
                for letter in letters { reasons[letter.keyString ?? "?"] = letter.header("dlq_reason") }
                #expect(reasons["garbage"] == "undecodable")
                #expect(reasons["no-type"] == "undecodable")
                #expect(reasons["unknown"] == "unknown-type")
                #expect(reasons["invalid"] == "contract-violation")
                #expect(reasons["not-json"] == "undecodable")
                #expect(letters.allSatisfy { $0.header("dlq_attempts") == "1" })
                #expect(runtime.metrics.retried == 0)
                #expect(try await harness.effectCounts().isEmpty)
            }
        }
    }

    @Test("database unreachable for seconds: no dead letters, processing resumes, nothing lost")
    func databaseOutage() async throws {
        try await ConsumerTestHarness.with { harness in
            let admin = try await PostgresConnection.connect(
                configuration: try PostgresConfiguration(url: testDatabaseURL))
            defer { Task { await admin.close() } }
            try await harness.publish((0..<50).map { ("k\($0 % 5)", $0) })
            try await harness.withRuntime(harness.configuration(batchSize: 20)) { runtime in
                try await waitUntil { runtime.metrics.handled == 50 }
                // Cut the database off: refuse new connections and end the runtime's session.
                let name = try #require(harness.database.database)
                try await admin.execute("ALTER DATABASE \(unsafeSQL: name) ALLOW_CONNECTIONS false")
                try await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()"
                )
                try await harness.publish((50..<150).map { ("k\($0 % 5)", $0) })
                try await waitUntil { runtime.metrics.transientFailures >= 2 }
                try await admin.execute("ALTER DATABASE \(unsafeSQL: name) ALLOW_CONNECTIONS true")
                try await waitUntil { runtime.metrics.handled == 150 }
                #expect(runtime.metrics.deadLettered == 0)
                #expect(runtime.metrics.retried == 0)
            }
            let counts = try await harness.effectCounts()
            #expect(counts.count == 150)
            #expect(counts.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("two then three instances: partitions move, no event applied twice, none skipped")
    func scalingInstances() async throws {
        try await ConsumerTestHarness.with { harness in
            let configuration = harness.configuration(batchSize: 50)
            let first = try ConsumerRuntime(configuration: configuration)
            let second = try ConsumerRuntime(configuration: configuration)
            let tasks = [Task { try await first.run() }, Task { try await second.run() }]
            try await harness.publish((0..<300).map { ("k\($0 % 11)", $0) })
            try await waitUntil(timeout: .seconds(60)) { try await harness.effectCounts().count == 300 }
            let third = try ConsumerRuntime(configuration: configuration)
            let thirdTask = Task { try await third.run() }
            try await waitUntil(timeout: .seconds(60)) { !third.assignment.isEmpty }
            try await harness.publish((300..<600).map { ("k\($0 % 11)", $0) })
            try await waitUntil(timeout: .seconds(60)) { try await harness.effectCounts().count == 600 }
            for runtime in [first, second, third] { runtime.requestStop() }
            for task in tasks + [thirdTask] { try await task.value }
            let counts = try await harness.effectCounts()
            #expect(counts.values.allSatisfy { $0 == 1 })
            let handled = first.metrics.handled + second.metrics.handled + third.metrics.handled
            #expect(handled == 600)
        }
    }

    @Test(
        "order-preserving mode: K's later events are applied only after its failing first event, in order; other keys flow"
    )
    func orderPreservingParking() async throws {
        try await ConsumerTestHarness.with { harness in
            let attempts = Mutex(0)
            let handler: EventHandler = { event, context in
                if event.data == TestContracts.data(key: "K", seq: 1) {
                    let attempt = attempts.withLock { value -> Int in
                        value += 1
                        return value
                    }
                    struct NotYet: Error {}
                    if attempt <= 2 { throw NotYet() }
                }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            var configuration = harness.configuration(handler: handler)
            configuration.preserveKeyOrder = true
            try await harness.publish([("K", 1), ("K", 2), ("K", 3), ("other", 1), ("other", 2)])
            try await harness.withRuntime(configuration) { runtime in
                try await waitUntil { try await harness.effectCounts().count == 5 }
                #expect(runtime.metrics.parked >= 2)
                #expect(runtime.metrics.retried == 2)
            }
            let connection = try await PostgresConnection.connect(configuration: harness.database)
            defer { Task { await connection.close() } }
            var order: [String] = []
            for row in try await connection.query("SELECT key, seq FROM effects ORDER BY id") {
                order.append("\(try row.decode(String.self, column: 0))\(try row.decode(Int32.self, column: 1))")
            }
            #expect(order.filter { $0.hasPrefix("K") } == ["K1", "K2", "K3"])
            let firstK = try #require(order.firstIndex(of: "K1"))
            #expect(order.firstIndex(of: "other1").map { $0 < firstK } == true, "other keys were applied meanwhile")
            #expect(order.firstIndex(of: "other2").map { $0 < firstK } == true)
            #expect(attempts.withLock { $0 } == 3)
        }
    }
}

@Suite("Processed-event retention")
struct ProcessedEventsCleanupTests {
    @Test("rows older than the horizon are deleted for that group only")
    func cleanup() async throws {
        try await withScratchDatabase { database in
            let connection = try await PostgresConnection.connect(configuration: database)
            try await ConsumerSchema.install(on: connection)
            try await connection.execute(
                """
                INSERT INTO processed_events (consumer_group, event_id, processed_at)
                SELECT g, gen_random_uuid(), now() - (n || ' days')::interval
                FROM unnest(ARRAY['a', 'b']) AS g, generate_series(1, 40) AS n
                """)
            let deleted = try await ProcessedEventsCleanup(group: "a", horizon: .seconds(30 * 86_400 + 43_200)).run(
                on: connection)
            #expect(deleted == 10)
            let rows = try await connection.query(
                "SELECT consumer_group, count(*)::bigint FROM processed_events GROUP BY 1 ORDER BY 1")
            #expect(
                try rows.map { "\(try $0.decode(String.self, column: 0))=\(try $0.decode(Int64.self, column: 1))" } == [
                    "a=30", "b=40",
                ])
            await connection.close()
        }
    }
}
