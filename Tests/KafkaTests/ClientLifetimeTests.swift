import ChoreoTestSupport
import Foundation
import Kafka
import Testing

/// Clients end with their owners: no thread or callback keeps a shut-down client alive.
@Suite("Client lifetimes")
struct ClientLifetimeTests {
    @Test("a producer after shutdown and a consumer after close are released")
    func clientsAreReleased() async throws {
        let topic = uniqueTopicName("lifetime")
        try await withEmbeddedKafka(topics: [(topic, 2)]) { cluster in
            weak var producerRef: KafkaProducer?
            weak var consumerRef: KafkaConsumer?
            do {
                let producer = try KafkaProducer(
                    configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
                producerRef = producer
                for result in await producer.sendBatch(numbered(topic, 0..<10)) { _ = try result.get() }
                await producer.shutdown()
                let consumer = try KafkaConsumer(
                    configuration: embeddedConsumerConfiguration(cluster, group: uniqueGroupID()),
                    logger: testLogger("consumer"))
                consumerRef = consumer
                try consumer.subscribe(topics: [topic])
                _ = try await consume(consumer, count: 10)
                await consumer.close()
            }
            try await waitUntil(timeout: .seconds(10)) { producerRef == nil && consumerRef == nil }
        }
    }
}
