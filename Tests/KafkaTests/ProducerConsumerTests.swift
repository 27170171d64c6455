import ChoreoTestSupport
import Foundation
import Kafka
import Testing

@Suite("Producer and consumer on the embedded broker")
struct ProducerConsumerTests {
    @Test("10,000 keyed messages with headers arrive complete, in order per partition, headers byte for byte")
    func roundTrip() async throws {
        let topic = uniqueTopicName("roundtrip")
        try await withEmbeddedKafka(topics: [(topic, 4)]) { cluster in
            let producer = try KafkaProducer(
                configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
            func expected(_ i: Int) -> KafkaProducerMessage {
                let binary: [UInt8] = [0, 255, UInt8(i % 256), 10, 13, 0]
                return KafkaProducerMessage(
                    topic: topic, key: i % 10 == 0 ? nil : Array("k\(i % 97)".utf8),
                    value: i % 100 == 7 ? nil : (i % 100 == 8 ? [] : Array("payload-\(i)".utf8) + binary),
                    headers: [
                        KafkaHeader(key: "i", string: String(i)), KafkaHeader(key: "bin", value: binary),
                        KafkaHeader(key: "null", value: nil), KafkaHeader(key: "bin", value: []),
                    ])
            }
            var sent: [KafkaProducerMessage] = []
            for start in stride(from: 0, to: 10_000, by: 2_500) {
                let batch = (start..<start + 2_500).map(expected)
                sent += batch
                let results = await producer.sendBatch(batch)
                for result in results { _ = try result.get() }
            }
            await producer.shutdown()

            let consumer = try KafkaConsumer(
                configuration: embeddedConsumerConfiguration(cluster, group: uniqueGroupID()),
                logger: testLogger("consumer"))
            try consumer.subscribe(topics: [topic])
            let received = try await consume(consumer, count: 10_000)
            await consumer.close()

            #expect(received.count == 10_000)
            let (counts, ordered) = occurrences(received)
            #expect(counts.count == 10_000 && counts.values.allSatisfy { $0 == 1 })
            #expect(ordered)
            var partitionOfKey: [[UInt8]: Int32] = [:]
            for message in received {
                let i = try #require(index(of: message))
                let original = sent[i]
                #expect(message.key == original.key)
                #expect(message.value == original.value)
                #expect(message.headers == original.headers)
                if let key = message.key {
                    #expect(partitionOfKey[key, default: message.partition] == message.partition)
                    partitionOfKey[key] = message.partition
                }
            }
        }
    }

    @Test("an uncommitted message is redelivered after a restart; committed offsets and watermarks are right")
    func redelivery() async throws {
        let topic = uniqueTopicName("redeliver")
        let group = uniqueGroupID()
        try await withEmbeddedKafka(topics: [(topic, 1)]) { cluster in
            let producer = try KafkaProducer(
                configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
            for result in await producer.sendBatch(numbered(topic, 0..<10)) { _ = try result.get() }
            await producer.shutdown()

            let first = try KafkaConsumer(
                configuration: embeddedConsumerConfiguration(cluster, group: group), logger: testLogger("c1"))
            try first.subscribe(topics: [topic])
            let batch = try await consume(first, count: 10)
            #expect(batch.map(\.offset) == Array(0..<10))
            try await first.commit([batch[4].nextOffset])  // work on 0...4 finished, 5...9 not
            let committed = try await first.committed(
                [KafkaTopicPartition(topic: topic, partition: 0)], timeout: .seconds(5))
            #expect(committed.map(\.offset) == [5])
            await first.close()
            await first.close()  // idempotent

            let second = try KafkaConsumer(
                configuration: embeddedConsumerConfiguration(cluster, group: group), logger: testLogger("c2"))
            try second.subscribe(topics: [topic])
            let again = try await consume(second, count: 5)
            #expect(again.map(\.offset) == Array(5..<10))
            await second.close()

            let admin = try KafkaAdmin(
                configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers),
                logger: testLogger("admin"))
            let marks = try await admin.watermarks(topic: topic, partition: 0, timeout: .seconds(5))
            #expect(marks.low == 0 && marks.high == 10)
            let offsets = try await admin.committedOffsets(
                group: group, partitions: [KafkaTopicPartition(topic: topic, partition: 0)], timeout: .seconds(5))
            #expect(offsets.map(\.offset) == [5])
            let none = try await admin.committedOffsets(
                group: uniqueGroupID(), partitions: [KafkaTopicPartition(topic: topic, partition: 0)],
                timeout: .seconds(5))
            #expect(none.map(\.offset) == [KafkaTopicPartitionOffset.invalid])
        }
    }

    @Test("pause stops delivery, resume restarts it; seek rewinds; the async sequence yields messages")
    func pauseResumeSeek() async throws {
        let topic = uniqueTopicName("pause")
        try await withEmbeddedKafka(topics: [(topic, 1)]) { cluster in
            let partition = KafkaTopicPartition(topic: topic, partition: 0)
            let consumer = try KafkaConsumer(
                configuration: embeddedConsumerConfiguration(cluster, group: uniqueGroupID()), logger: testLogger("c"))
            try consumer.assign([
                KafkaTopicPartitionOffset(topic: topic, partition: 0, offset: KafkaTopicPartitionOffset.beginning)
            ])
            #expect(try consumer.assignment == [partition])
            try consumer.pause([partition])
            let producer = try KafkaProducer(
                configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
            for result in await producer.sendBatch(numbered(topic, 0..<10)) { _ = try result.get() }
            #expect(try await consumer.poll(maxMessages: 100, timeout: .milliseconds(1500)).isEmpty)
            try consumer.resume([partition])
            let all = try await consume(consumer, count: 10)
            #expect(all.map(\.offset) == Array(0..<10))

            try consumer.seek(KafkaTopicPartitionOffset(topic: topic, partition: 0, offset: 3))
            var iterator = consumer.messages.makeAsyncIterator()
            var offsets: [Int64] = []
            while offsets.count < 7, let message = try await iterator.next() { offsets.append(message.offset) }
            #expect(offsets == Array(3..<10))
            await consumer.close()
            #expect(try await iterator.next() == nil)
            await producer.shutdown()
        }
    }

    @Test("enqueue + flush, bounded headers, send after shutdown fails with .closed")
    func enqueueFlushBoundsAndShutdown() async throws {
        let topic = uniqueTopicName("enqueue")
        try await withEmbeddedKafka(topics: [(topic, 2)]) { cluster in
            var configuration = embeddedProducerConfiguration(cluster)
            configuration.maxHeaderBytes = 1024
            let producer = try KafkaProducer(configuration: configuration, logger: testLogger("producer"))
            for message in numbered(topic, 0..<1000) { try producer.enqueue(message) }
            try await producer.flush(timeout: .seconds(10))
            let admin = try KafkaAdmin(
                configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers),
                logger: testLogger("admin"))
            let high0 = try await admin.watermarks(topic: topic, partition: 0, timeout: .seconds(5)).high
            let high1 = try await admin.watermarks(topic: topic, partition: 1, timeout: .seconds(5)).high
            #expect(high0 + high1 == 1000)

            let big = KafkaProducerMessage(
                topic: topic, value: [1], headers: [KafkaHeader(key: "h", value: Array(repeating: 7, count: 2000))])
            let error = await #expect(throws: KafkaError.self) { try await producer.send(big) }
            #expect(error?.code == .messageTooLarge)
            #expect(throws: KafkaError.self) { try producer.enqueue(big) }

            // A fire-and-forget failure is reported by the next flush.
            var failed = false
            do { try producer.enqueue(KafkaProducerMessage(topic: topic, partition: 42, value: [1])) } catch {
                failed = true
            }
            if !failed {
                await #expect(throws: KafkaError.self) { try await producer.flush(timeout: .seconds(10)) }
            }

            await producer.shutdown()
            await producer.shutdown()
            let closed = await #expect(throws: KafkaError.self) {
                try await producer.send(KafkaProducerMessage(topic: topic, value: [1]))
            }
            #expect(closed?.code == .closed)
        }
    }
}
