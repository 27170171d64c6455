import ArgumentParser
import Foundation
import Kafka
import Logging

/// `choreo bench kafka`: producer and consumer throughput of the Swift wrapper against the
/// embedded broker, with `kcat -P` to the same broker as the yardstick.
struct BenchKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract:
            "Producer msgs/s (until every delivery report) vs kcat -P, and consumer msgs/s with a sync commit per batch."
    )

    @Option(help: "Messages per measurement.")
    var messages: Int = 200_000

    @Option(help: "Value size in bytes.")
    var size: Int = 200

    /// The embedded broker keeps only about 5 MB (100,000 messages) per partition and drops the
    /// oldest beyond that, so the topic must spread the run over enough partitions.
    @Option(help: "Partitions of the benchmark topics (the embedded broker keeps ~5 MB per partition).")
    var partitions: Int = 16

    func validate() throws {
        guard messages > 0, size > 0, partitions > 0 else {
            throw ValidationError("--messages, --size and --partitions must be positive")
        }
    }

    func run() async throws {
        var logger = Logger(label: "choreo.bench.kafka")
        logger.logLevel = .error
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        defer { cluster.shutdown() }
        let swiftTopic = "bench-swift"
        let enqueueTopic = "bench-swift-enqueue"
        let kcatTopic = "bench-kcat"
        for topic in [swiftTopic, enqueueTopic, kcatTopic] { try cluster.createTopic(topic, partitions: partitions) }
        print(
            "embedded broker at \(cluster.bootstrapServers); \(messages) messages, \(size)-byte values, keys + 2 headers, \(partitions) partitions"
        )

        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.queueBufferingMaxMessages = 1_000_000
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        _ = try await producer.send(KafkaProducerMessage(topic: swiftTopic, key: "warm", value: "up"))
        _ = try await producer.send(KafkaProducerMessage(topic: enqueueTopic, key: "warm", value: "up"))

        let value = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let headers = [
            KafkaHeader(key: "ce-type", string: "bench.v1"),
            KafkaHeader(key: "ce-id", value: [1, 2, 3, 4, 5, 6, 7, 8]),
        ]
        func message(_ topic: String, _ i: Int) -> KafkaProducerMessage {
            KafkaProducerMessage(topic: topic, key: Array("key-\(i % 1000)".utf8), value: value, headers: headers)
        }

        // (1a) sendBatch: chunks of 10,000, up to 4 in flight, until every delivery report.
        let batchMessages = (0..<messages).map { message(swiftTopic, $0) }
        let clock = ContinuousClock()
        let chunk = 10_000
        var failures = 0
        let batchTime = await clock.measure {
            failures = await withTaskGroup(of: Int.self) { group in
                var started = 0
                var failed = 0
                for start in stride(from: 0, to: batchMessages.count, by: chunk) {
                    if started >= 4, let done = await group.next() { failed += done }
                    let slice = Array(batchMessages[start..<min(start + chunk, batchMessages.count)])
                    group.addTask {
                        await producer.sendBatch(slice).filter { if case .failure = $0 { true } else { false } }.count
                    }
                    started += 1
                }
                for await done in group { failed += done }
                return failed
            }
        }
        let batchRate = Double(messages) / batchTime.seconds
        print(
            String(
                format: "producer sendBatch: %.0f msgs/s (%.2f s, %d failed)", batchRate, batchTime.seconds, failures))

        // (1b) enqueue + flush.
        let enqueueMessages = (0..<messages).map { message(enqueueTopic, $0) }
        let enqueueTime = try await clock.measure {
            for m in enqueueMessages {
                while true {
                    do {
                        try producer.enqueue(m)
                        break
                    } catch let error as KafkaError where error.code == .queueFull {
                        try await Task.sleep(for: .milliseconds(1))
                    }
                }
            }
            try await producer.flush(timeout: .seconds(120))
        }
        let enqueueRate = Double(messages) / enqueueTime.seconds
        print(String(format: "producer enqueue+flush: %.0f msgs/s (%.2f s)", enqueueRate, enqueueTime.seconds))
        await producer.shutdown()
        let producerRate = max(batchRate, enqueueRate)

        // (2) kcat -P, same count, same broker, same settings (idempotent, acks=all, linger 5 ms).
        let kcatRate = try runKcat(bootstrap: cluster.bootstrapServers, topic: kcatTopic)
        if let kcatRate {
            print(String(format: "kcat -P: %.0f msgs/s; wrapper/kcat = %.2f", kcatRate, producerRate / kcatRate))
        }

        // (3) consumer in a group, batches of <= 1,000, sync commit per batch.
        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers, groupID: "bench-\(UUID().uuidString.prefix(8))")
        consumerConfiguration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        try consumer.subscribe(topics: [swiftTopic])
        var consumed = 0
        var firstAt: ContinuousClock.Instant?
        let target = messages + 1
        let deadline = clock.now.advanced(by: .seconds(300))
        while consumed < target && clock.now < deadline {
            let batch = try await consumer.poll(maxMessages: 1000, timeout: .milliseconds(500))
            guard let last = batch.last else { continue }
            if firstAt == nil { firstAt = clock.now }
            consumed += batch.count
            var next: [Int32: KafkaTopicPartitionOffset] = [:]
            for m in batch { next[m.partition] = m.nextOffset }
            _ = last
            try await consumer.commit(Array(next.values))
        }
        let consumeTime = firstAt.map { clock.now - $0 } ?? .zero
        await consumer.close()
        let consumerRate = consumeTime > .zero ? Double(consumed) / consumeTime.seconds : 0
        print(
            String(
                format:
                    "consumer (group, <=1000 per poll, sync commit per batch): %.0f msgs/s (%d messages in %.2f s after the first arrived)",
                consumerRate, consumed, consumeTime.seconds))

        let ratio = kcatRate.map { producerRate / $0 }
        func json(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "null" }
        print(
            "{\"benchmark\":\"kafka\",\"messages\":\(messages),\"value_bytes\":\(size),\"producer_msgs_per_s\":\(json(producerRate)),\"producer_send_batch_msgs_per_s\":\(json(batchRate)),\"producer_enqueue_flush_msgs_per_s\":\(json(enqueueRate)),\"kcat_msgs_per_s\":\(json(kcatRate)),\"ratio\":\(ratio.map { String(format: "%.2f", $0) } ?? "null"),\"consumer_msgs_per_s\":\(json(consumerRate))}"
        )
    }

    /// Produces the same count with `kcat -P` from a generated file; nil when kcat is missing.
    private func runKcat(bootstrap: String, topic: String) throws -> Double? {
        let candidates = ["/usr/bin/kcat", "/usr/local/bin/kcat", "/usr/bin/kafkacat"]
        guard let kcat = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("kcat not found: skipping the kcat comparison")
            return nil
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("choreo-bench-kcat-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let value = String(repeating: "x", count: size)
        var text = ""
        text.reserveCapacity(messages * (size + 12))
        for i in 0..<messages { text += "key-\(i % 1000):\(value)\n" }
        try text.write(to: file, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: kcat)
        process.arguments = [
            "-P", "-b", bootstrap, "-t", topic, "-K:", "-l", "-q",
            "-H", "ce-type=bench.v1", "-H", "ce-id=12345678",
            "-X", "enable.idempotence=true", "-X", "acks=all", "-X", "linger.ms=5", "-X",
            "queue.buffering.max.messages=1000000",
            file.path,
        ]
        let started = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - started
        guard process.terminationStatus == 0 else {
            print("kcat exited with status \(process.terminationStatus)")
            return nil
        }
        return Double(messages) / elapsed.seconds
    }
}
