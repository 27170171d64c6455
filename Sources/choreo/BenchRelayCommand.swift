import ArgumentParser
import Foundation
import Kafka
import Logging
import Operations
import Outbox
import Postgres
import Synchronization

/// `choreo bench relay`: outbox relay throughput and commit-to-delivery latency against
/// the embedded broker and a scratch database, with the raw producer as reference.
struct BenchRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Outbox relay throughput (events/s) and commit-to-delivery latency (p50/p99)."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Events in the backlog for the throughput run.")
    var events: Int = 200_000

    @Option(help: "Distinct partition keys.")
    var keys: Int = 1_000

    @Option(help: "Offered load for the latency run, events/s.")
    var rate: Int = 2_000

    @Option(help: "Length of the latency run in seconds.")
    var seconds: Int = 10

    @Option(help: "Relay batch size.")
    var batchSize: Int = 5_000

    func validate() throws {
        guard events > 0, keys > 0, rate > 0, seconds > 0 else {
            throw ValidationError("--events, --keys, --rate and --seconds must be positive")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        // Measured with the metrics recorded as in a deployed process (Prometheus backend).
        OperationsMetrics.bootstrap()
        var logger = Logger(label: "choreo.bench.relay")
        logger.logLevel = .warning
        let broker = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        defer { broker.shutdown() }
        let topic = "bench.relay"
        try broker.createTopic(topic, partitions: 6)
        let scratch = try await BenchDatabase.create(adminURL: database.url(), prefix: "choreo_bench_relay")
        let connection = try await PostgresConnection.connect(configuration: scratch.configuration, logger: logger)
        try await OutboxSchema.standard.install(on: connection)

        // 1. Throughput: a full backlog drained by the relay.
        try await connection.execute(
            """
            INSERT INTO outbox (event_id, topic, partition_key, event_type, headers, payload)
            SELECT gen_random_uuid(), \(topic), 'key-' || (g % \(keys)), 'bench.event.v1',
                   jsonb_build_object('ce_source', '/bench'),
                   jsonb_build_object('n', g, 'pad', repeat('x', 120))
            FROM generate_series(1, \(events)) AS g
            """
        )
        try await connection.simpleQuery("VACUUM ANALYZE outbox")
        var relayConfiguration = try OutboxRelayConfiguration(
            producer: KafkaProducerConfiguration(client: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)))
        relayConfiguration.batchSize = batchSize
        relayConfiguration.metricsInterval = nil
        let relay = try OutboxRelay(database: scratch.configuration, configuration: relayConfiguration, logger: logger)
        let start = ContinuousClock.now
        let relayTask = Task { try await relay.run() }
        while relay.metrics.published < events {
            try await Task.sleep(for: .milliseconds(2))
        }
        let drain = ContinuousClock.now - start
        let relayRate = Double(events) / drain.seconds
        print("relay: \(events) events in \(drain.formattedSeconds) → \(Int(relayRate)) events/s (batch \(batchSize))")

        // 2. Reference: the raw producer sending the same number of messages of that shape.
        let rawRate = try await rawProducerRate(bootstrap: broker.bootstrapServers, topic: topic, logger: logger)
        print("raw producer: \(Int(rawRate)) msgs/s; relay/raw = \(String(format: "%.2f", relayRate / rawRate))")

        // 3. Latency at a steady offered load, measured from COMMIT to arrival at a consumer.
        let latencies = try await latencyRun(
            connection: connection, bootstrap: broker.bootstrapServers, topic: topic, logger: logger)
        relay.requestStop()
        _ = try? await relayTask.value
        await connection.close()
        try? await scratch.drop()
        let p50 = latencies.percentile(0.50)
        let p99 = latencies.percentile(0.99)
        print(
            "latency at \(rate) events/s for \(seconds) s (\(latencies.count) events): p50 \(p50.ms) ms, p99 \(p99.ms) ms, max \(latencies.percentile(1).ms) ms"
        )
        let summary: [String: Any] = [
            "benchmark": "relay", "events": events, "events_per_s": Int(relayRate), "raw_events_per_s": Int(rawRate),
            "ratio": (relayRate / rawRate * 100).rounded() / 100, "offered_events_per_s": rate,
            "p50_ms": p50.ms, "p99_ms": p99.ms,
        ]
        print(try JSONLine.render(summary))
    }

    private func rawProducerRate(bootstrap: String, topic: String, logger: Logger) async throws -> Double {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: KafkaConfiguration(bootstrapServers: bootstrap)),
            logger: logger)
        let payload = Array("{\"n\": 1, \"pad\": \"\(String(repeating: "x", count: 120))\"}".utf8)
        let headers = [
            KafkaHeader(key: "ce_specversion", string: "1.0"), KafkaHeader(key: "ce_type", string: "bench.event.v1"),
            KafkaHeader(key: "ce_source", string: "/bench"),
            KafkaHeader(key: "content-type", string: "application/json"),
        ]
        let start = ContinuousClock.now
        var sent = 0
        while sent < events {
            let count = min(batchSize, events - sent)
            let batch = (0..<count).map { i in
                KafkaProducerMessage(
                    topic: topic, partition: nil, key: Array("key-\((sent + i) % keys)".utf8), value: payload,
                    headers: headers + [KafkaHeader(key: "ce_id", string: UUID().uuidString)])
            }
            for result in await producer.sendBatch(batch) { _ = try result.get() }
            sent += count
        }
        let elapsed = ContinuousClock.now - start
        await producer.shutdown()
        return Double(events) / elapsed.seconds
    }

    private func latencyRun(connection: PostgresConnection, bootstrap: String, topic: String, logger: Logger)
        async throws -> [Duration]
    {
        var consumerConfiguration = KafkaConsumerConfiguration(
            client: KafkaConfiguration(bootstrapServers: bootstrap), groupID: "bench-latency-\(UUID())")
        consumerConfiguration.autoOffsetReset = .latest
        consumerConfiguration.client.rawProperties["fetch.wait.max.ms"] = "5"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        // Start at the end of every partition, without waiting for a group join.
        var start: [KafkaTopicPartitionOffset] = []
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap), logger: logger)
        for partition in Int32(0)..<6 {
            let marks = try await admin.watermarks(topic: topic, partition: partition, timeout: .seconds(5))
            start.append(KafkaTopicPartitionOffset(topic: topic, partition: partition, offset: marks.high))
        }
        try consumer.assign(start)
        // Warm up: one event through relay and consumer before the clock starts, so the
        // consumer's first fetch is not counted as latency.
        try await connection.execute(
            """
            INSERT INTO outbox (event_id, topic, partition_key, event_type, headers, payload)
            VALUES (\(UUID()), \(topic), 'warm-up', 'bench.event.v1', '{"ce_source":"/bench"}'::jsonb, '{"warmup":true}'::jsonb)
            """)
        var warmedUp = false
        while !warmedUp { warmedUp = !(try await consumer.poll(maxMessages: 10, timeout: .milliseconds(100))).isEmpty }
        let committed = Mutex<[String: ContinuousClock.Instant]>([:])
        let total = rate * seconds
        let perTransaction = max(1, rate / 200)  // a transaction every 5 ms
        let writer = Task {
            let clock = ContinuousClock()
            let begin = clock.now
            var written = 0
            var tick = 0
            while written < total {
                tick += 1
                let count = min(perTransaction, total - written)
                let ids = (0..<count).map { _ in UUID() }
                try await connection.withTransaction { tx in
                    for id in ids {
                        try await tx.execute(
                            """
                            INSERT INTO outbox (event_id, topic, partition_key, event_type, headers, payload)
                            VALUES (\(id), \(topic), \("key-\(written % keys)"), 'bench.event.v1',
                                    '{"ce_source":"/bench"}'::jsonb, '{"latency":true}'::jsonb)
                            """)
                    }
                }
                let now = clock.now
                committed.withLock { map in for id in ids { map[id.uuidString.lowercased()] = now } }
                written += count
                let next = begin + .microseconds(Int64(tick) * Int64(1_000_000 * perTransaction / rate))
                if next > clock.now { try await Task.sleep(until: next, clock: clock) }
            }
        }
        var latencies: [Duration] = []
        latencies.reserveCapacity(total)
        let deadline = ContinuousClock.now + .seconds(Int64(seconds) + 30)
        while latencies.count < total && ContinuousClock.now < deadline {
            for message in try await consumer.poll(maxMessages: 1_000, timeout: .milliseconds(50)) {
                let arrived = ContinuousClock.now
                guard let id = message.headers.first(where: { $0.key == "ce_id" })?.stringValue?.lowercased() else {
                    continue
                }
                // The commit timestamp is recorded right after COMMIT returns; a message can
                // arrive before that bookkeeping, so wait briefly for it.
                var commit = committed.withLock { $0[id] }
                var spins = 0
                while commit == nil && spins < 1_000 {
                    await Task.yield()
                    commit = committed.withLock { $0[id] }
                    spins += 1
                }
                if let commit { latencies.append(max(.zero, arrived - commit)) }
            }
        }
        try await writer.value
        await consumer.close()
        return latencies
    }
}
