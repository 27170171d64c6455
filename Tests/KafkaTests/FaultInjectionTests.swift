import ChoreoTestSupport
import Foundation
import Kafka
import Testing

@Suite("Producer under injected faults")
struct FaultInjectionTests {
    @Test("one broker of three down and up mid-stream: every message exactly once, in order per partition")
    func brokerDownAndUp() async throws {
        let topic = uniqueTopicName("brokerdown")
        try await withEmbeddedKafka(brokers: 3, topics: [(topic, 6)]) { cluster in
            let producer = try KafkaProducer(
                configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
            let total = 12_000
            let sending = Task {
                var failures = 0
                for start in stride(from: 0, to: total, by: 500) {
                    for result in await producer.sendBatch(numbered(topic, start..<start + 500)) {
                        if case .failure = result { failures += 1 }
                    }
                }
                return failures
            }
            try await Task.sleep(for: .milliseconds(150))
            try cluster.setBrokerDown(2)
            try await Task.sleep(for: .milliseconds(1500))
            try cluster.setBrokerUp(2)
            #expect(await sending.value == 0)
            await producer.shutdown()
            let messages = try await readAll(cluster, topic: topic, partitions: 6, expected: total)
            let (counts, ordered) = occurrences(messages)
            #expect(counts.count == total)
            #expect(counts.values.allSatisfy { $0 == 1 })
            #expect(ordered)
        }
    }

    @Test("injected NOT_LEADER and transport errors on produce: all delivered exactly once")
    func injectedProduceErrors() async throws {
        let topic = uniqueTopicName("errors")
        try await withEmbeddedKafka(topics: [(topic, 2)]) { cluster in
            let producer = try KafkaProducer(
                configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
            _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "warm", value: "up"))
            try cluster.pushRequestErrors(
                apiKey: .produce,
                errors: [
                    .notLeaderForPartition, .transport, .notLeaderForPartition, .transport, .notLeaderForPartition,
                ])
            var results: [Result<KafkaDeliveryReport, KafkaError>] = []
            for start in stride(from: 0, to: 2000, by: 100) {
                results += await producer.sendBatch(numbered(topic, start..<start + 100))
            }
            let failures = results.compactMap { if case .failure(let e) = $0 { e } else { nil } }
            #expect(failures.isEmpty, "\(failures.count) failed, first: \(String(describing: failures.first))")
            await producer.shutdown()
            let messages = try await readAll(cluster, topic: topic, partitions: 2, expected: 2001)
            let (counts, ordered) = occurrences(messages)
            #expect(counts.count == 2000 && counts.values.allSatisfy { $0 == 1 })
            #expect(ordered)
        }
    }

    @Test(
        "request timeouts (broker slower than socket.timeout.ms): every message delivered, duplicates only as repeats")
    func requestTimeouts() async throws {
        let topic = uniqueTopicName("timeouts")
        try await withEmbeddedKafka(topics: [(topic, 1)]) { cluster in
            var configuration = embeddedProducerConfiguration(cluster)
            configuration.client.socketTimeout = .milliseconds(500)
            let producer = try KafkaProducer(configuration: configuration, logger: testLogger("producer"))
            _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "warm", value: "up"))
            try cluster.setBrokerLatency(1, .milliseconds(800))
            let sending = Task { await producer.sendBatch(numbered(topic, 0..<300)) }
            try await Task.sleep(for: .seconds(2))
            try cluster.setBrokerLatency(1, .zero)
            let results = await sending.value
            #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
            await producer.shutdown()
            let messages = try await readAll(cluster, topic: topic, partitions: 1, expected: 301)
            let (counts, ordered) = occurrences(messages)
            #expect(counts.count == 300)  // nothing lost, nothing invented
            #expect(ordered)  // first occurrences in order; any extra copy is a repeat
            let duplicates = counts.values.reduce(0) { $0 + $1 - 1 }
            print("request-timeout injection: \(duplicates) duplicate(s) in 300")
        }
    }

    @Test("an injected fatal error surfaces in fatalError and fails sends with .fatal")
    func fatalError() async throws {
        let topic = uniqueTopicName("fatal")
        try await withEmbeddedKafka(topics: [(topic, 1)]) { cluster in
            let producer = try KafkaProducer(
                configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
            _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: "before"))
            #expect(producer.fatalError == nil)
            try producer._testFatalError(code: .outOfOrderSequenceNumber, reason: "injected by test")
            let fatal = try #require(producer.fatalError)
            #expect(fatal.code == .fatal && fatal.isFatal)
            let error = await #expect(throws: KafkaError.self) {
                try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: "after"))
            }
            #expect(error?.code == .fatal)
            await producer.shutdown()
        }
    }

    @Test(
        "messages failed by a fatal gap-less error are reported before shutdown, marked fatal", .timeLimit(.minutes(1)))
    func fatalErrorAnswersMessagesInFlight() async throws {
        let topic = uniqueTopicName("fatal-inflight")
        try await withEmbeddedKafka(topics: [(topic, 1)]) { cluster in
            // As the relay runs it: no message timeout, gap-less guarantee.
            var configuration = embeddedProducerConfiguration(cluster)
            configuration.messageTimeout = .zero
            configuration.client.rawProperties["enable.gapless.guarantee"] = "true"
            let producer = try KafkaProducer(configuration: configuration, logger: testLogger("producer"))
            _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: "warm-up"))
            // A lost produce response makes gap-less ordering impossible: librdkafka raises a
            // fatal error and (2.0.2) would keep the failed messages unreported.
            try cluster.pushRequestErrors(apiKey: .produce, errors: [.networkException])
            let pending = await producer.enqueueBatch(
                (0..<50).map { KafkaProducerMessage(topic: topic, key: "k", value: "m\($0)") })
            let results = await pending.wait()
            #expect(results.count == 50)
            let failures = results.compactMap { result -> KafkaError? in
                if case .failure(let error) = result { return error }
                return nil
            }
            #expect(!failures.isEmpty)
            let allFatal = failures.allSatisfy { $0.isFatal }
            #expect(allFatal, "\(failures.first.map { "\($0)" } ?? "")")
            #expect(producer.fatalError != nil)
            await producer.shutdown()
        }
    }
}
