import ArgumentParser
import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import Operations
import Outbox
import Postgres
import Synchronization

/// `choreo bench consumer`: the idempotent consumer runtime with a handler that writes one
/// row and emits one outbox event per input; compared with one transaction per event and
/// with the raw consumer.
struct BenchConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer",
        abstract: "Idempotent consumer throughput: batched vs one transaction per event vs raw consumer."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Events for the batched run.")
    var events: Int = 200_000

    @Option(help: "Events for the one-transaction-per-event run (it is slower).")
    var singleEvents: Int = 20_000

    @Option(help: "Events for the batched run whose handler waits for each write (execute instead of write).")
    var executeEvents: Int = 20_000

    @Option(help: "Events for the batched run with a savepoint per event instead of an optimistic batch.")
    var savepointEvents: Int = 20_000

    @Option(help: "Batch size of the batched run.")
    var batchSize: Int = 500

    func validate() throws {
        guard events > 0, singleEvents > 0, executeEvents > 0, savepointEvents > 0, batchSize > 0 else {
            throw ValidationError(
                "--events, --single-events, --execute-events, --savepoint-events and --batch-size must be positive")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        // Measured with the metrics recorded as in a deployed process (Prometheus backend).
        OperationsMetrics.bootstrap()
        var logger = Logger(label: "choreo.bench.consumer")
        logger.logLevel = .warning
        let broker = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        defer { broker.shutdown() }
        let input = "bench.consumer.in"
        let output = "bench.consumer.out"
        // The embedded broker keeps only so much per partition (about 20,000 of these
        // messages) and drops the oldest beyond that: spread the input so that all of it stays.
        let total = max(events, singleEvents, executeEvents, savepointEvents)
        let partitions = max(6, (total + 9_999) / 10_000)
        try broker.createTopic(input, partitions: partitions)
        try broker.createTopic(output, partitions: 6)
        let registry = try BenchContracts.registry()
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        try await publish(count: total, topic: input, kafka: kafka, logger: logger)
        let admin = try KafkaAdmin(configuration: kafka, logger: logger)
        for partition in 0..<Int32(partitions) {
            let marks = try await admin.watermarks(topic: input, partition: partition, timeout: .seconds(5))
            guard marks.low == 0 else {
                throw ValidationError(
                    "the embedded broker dropped the oldest events of partition \(partition); use fewer --events")
            }
        }
        print("published \(total) events to \(input) (\(partitions) partitions)")

        let raw = try await rawConsumerRate(count: events, topic: input, kafka: kafka, logger: logger)
        print("raw consumer (no database, sync commit per batch of \(batchSize)): \(Int(raw)) events/s")

        let batchedRun = try await runtimeRate(
            count: events, batchSize: batchSize, pipelined: true, topic: input, output: output, registry: registry,
            kafka: kafka, logger: logger)
        print(
            "idempotent runtime, batches of \(batchSize), handler writes with context.write (pipelined): \(batchedRun)"
        )

        let waitingRun = try await runtimeRate(
            count: executeEvents, batchSize: batchSize, pipelined: false, topic: input, output: output,
            registry: registry,
            kafka: kafka, logger: logger)
        print(
            "idempotent runtime, batches of \(batchSize), handler writes with connection.execute (a round trip each): \(waitingRun)"
        )

        let savepointRun = try await runtimeRate(
            count: savepointEvents, batchSize: batchSize, pipelined: true, optimistic: false, topic: input,
            output: output,
            registry: registry, kafka: kafka, logger: logger)
        print(
            "idempotent runtime, batches of \(batchSize), a savepoint per event (not optimistic): \(savepointRun)"
        )

        let singleRun = try await runtimeRate(
            count: singleEvents, batchSize: 1, pipelined: true, topic: input, output: output, registry: registry,
            kafka: kafka,
            logger: logger)
        print("idempotent runtime, one transaction per event: \(singleRun)")
        let (batched, waiting, savepoints, single) = (
            batchedRun.rate, waitingRun.rate, savepointRun.rate, singleRun.rate
        )
        print(
            "batched / per-event = \(String(format: "%.1f", batched / single))x; batched / raw = \(String(format: "%.2f", batched / raw))"
        )
        print(
            try JSONLine.render([
                "benchmark": "consumer", "events": events, "events_per_s": Int(batched), "batch_size": batchSize,
                "single_tx_events_per_s": Int(single), "raw_events_per_s": Int(raw),
                "execute_events_per_s": Int(waiting),
                "savepoint_per_event_events_per_s": Int(savepoints),
                "ratio": (batched / single * 10).rounded() / 10,
            ]))
    }

    private func publish(count: Int, topic: String, kafka: KafkaConfiguration, logger: Logger) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: kafka), logger: logger)
        var sent = 0
        while sent < count {
            let batch = (sent..<min(count, sent + 5_000)).map { n -> KafkaProducerMessage in
                let envelope = EventEnvelope(
                    id: RandomUUID.make(), type: BenchContracts.input, source: "/bench", time: Date(),
                    subject: "k\(n % 1000)",
                    correlationID: nil, causationID: nil, traceparent: nil)
                return KafkaProducerMessage(
                    topic: topic, partition: nil, key: Array("k\(n % 1000)".utf8),
                    value: Array("{\"n\":\(n),\"account\":\"k\(n % 1000)\",\"amount\":\(n % 97)}".utf8),
                    headers: envelope.kafkaHeaders())
            }
            for result in await producer.sendBatch(batch) { _ = try result.get() }
            sent += batch.count
        }
        await producer.shutdown()
    }

    private func rawConsumerRate(count: Int, topic: String, kafka: KafkaConfiguration, logger: Logger) async throws
        -> Double
    {
        var configuration = KafkaConsumerConfiguration(client: kafka, groupID: "bench-raw-\(UUID())")
        configuration.autoOffsetReset = .earliest
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.subscribe(topics: [topic])
        var received = 0
        var start: ContinuousClock.Instant?
        while received < count {
            let messages = try await consumer.poll(maxMessages: batchSize, timeout: .milliseconds(100))
            guard let last = messages.last else { continue }
            if start == nil { start = .now }
            received += messages.count
            var next: [KafkaTopicPartition: Int64] = [:]
            for message in messages {
                next[KafkaTopicPartition(topic: message.topic, partition: message.partition)] = message.offset + 1
            }
            _ = last
            try await consumer.commit(
                next.map {
                    KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value)
                })
        }
        let elapsed = ContinuousClock.now - (start ?? .now)
        await consumer.close()
        return Double(received) / elapsed.seconds
    }

    private func runtimeRate(
        count: Int, batchSize: Int, pipelined: Bool, optimistic: Bool = true, topic: String, output: String,
        registry: ContractRegistry,
        kafka: KafkaConfiguration, logger: Logger
    ) async throws -> RuntimeRun {
        let scratch = try await BenchDatabase.create(adminURL: database.url(), prefix: "choreo_bench_consumer")
        let connection = try await PostgresConnection.connect(configuration: scratch.configuration, logger: logger)
        try await ConsumerSchema.install(on: connection)
        try await OutboxSchema.standard.install(on: connection)
        try await connection.simpleQuery(
            "CREATE TABLE balances (event_id uuid PRIMARY KEY, account text NOT NULL, amount bigint NOT NULL)")
        await connection.close()
        var handlers = EventHandlers()
        handlers.on(BenchContracts.input) { event, context in
            struct Input: Decodable { var n: Int; var account: String; var amount: Int }
            let input = try event.decode(Input.self)
            let insert: PostgresQuery =
                "INSERT INTO balances (event_id, account, amount) VALUES (\(event.envelope.id), \(input.account), \(input.amount))"
            if pipelined { try await context.write(insert) } else { try await context.connection.execute(insert) }
            try await context.emit(
                OutboxEvent(
                    type: BenchContracts.output, key: input.account,
                    data: Array("{\"n\":\(input.n),\"account\":\"\(input.account)\"}".utf8)))
        }
        var configuration = ConsumerConfiguration(
            group: "bench-consumer-\(batchSize)-\(UUID().uuidString.prefix(8))", topics: [topic], handlers: handlers,
            registry: registry,
            writer: OutboxWriter(
                registry: registry, source: "/bench", routes: OutboxRoutes([BenchContracts.output.name: output])),
            database: scratch.configuration, kafka: kafka)
        configuration.batchSize = batchSize
        configuration.retry = RetryPolicy(delays: [])
        configuration.optimisticBatches = optimistic
        let runtime = try ConsumerRuntime(configuration: configuration, logger: logger)
        let stopped = StopFlag()
        let task = Task {
            defer { stopped.set() }
            try await runtime.run()
        }
        // Timed from the first handled batch (the group join before it is not throughput).
        var start: (instant: ContinuousClock.Instant, handled: Int)?
        while runtime.metrics.handled < count {
            // A runtime that stopped (an error) would leave this loop waiting forever.
            if stopped.isSet { break }
            let handled = runtime.metrics.handled
            if start == nil && handled > 0 { start = (.now, handled) }
            try await Task.sleep(for: .milliseconds(2))
        }
        let end = ContinuousClock.now
        let handled = runtime.metrics.handled
        let batches = runtime.metrics.batches
        runtime.requestStop()
        try await task.value
        try? await scratch.drop()
        guard let start, handled > start.handled else {
            throw ValidationError("too few events to time after the first batch; raise the event counts")
        }
        return RuntimeRun(
            rate: Double(handled - start.handled) / (end - start.instant).seconds, batches: batches, handled: handled)
    }
}

/// One timed run of the consumer runtime.
struct RuntimeRun: CustomStringConvertible {
    var rate: Double
    var batches: Int
    var handled: Int
    var description: String {
        "\(Int(rate)) events/s (\(batches) batches, \(handled / max(1, batches)) events per batch on average)"
    }
}

/// Set once when a runtime's task ends.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

/// The contracts the consumer benchmark uses, written to a temporary directory.
enum BenchContracts {
    static let input = EventType(name: "bench.payment", version: 1)
    static let output = EventType(name: "bench.balance-changed", version: 1)

    static func registry() throws -> ContractRegistry {
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-bench-contracts-\(UUID())")
        let schemas = [
            (
                input,
                #"{"type":"object","required":["n","account","amount"],"properties":{"n":{"type":"integer"},"account":{"type":"string","minLength":1},"amount":{"type":"integer","minimum":0}}}"#
            ),
            (
                output,
                #"{"type":"object","required":["n","account"],"properties":{"n":{"type":"integer"},"account":{"type":"string"}}}"#
            ),
        ]
        for (type, schema) in schemas {
            let directory = root.appending(path: type.name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(schema.utf8).write(to: directory.appending(path: "v\(type.version).schema.json"))
        }
        return try ContractRegistry(directory: root)
    }
}
