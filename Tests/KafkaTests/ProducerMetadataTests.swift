import ChoreoTestSupport
import Foundation
import Kafka
import Testing

@Suite("Producer metadata prefetch")
struct ProducerMetadataTests {
    @Test("prefetchMetadata creates no topic the broker lacks, and the producer then sends to the topics it has")
    func prefetchCreatesNothing() async throws {
        let topic = uniqueTopicName("prefetch")
        let absent = uniqueTopicName("absent")
        try await withEmbeddedKafka(topics: [(topic, 2)]) { cluster in
            let producer = try KafkaProducer(
                configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
            try await producer.prefetchMetadata(topics: [topic, absent])
            let admin = try KafkaAdmin(
                configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers),
                logger: testLogger("admin"))
            // A per-topic metadata request would have auto-created `absent` on the embedded broker.
            #expect(try await admin.metadata(timeout: .seconds(5)).topic(absent) == nil)
            let report = try await producer.send(
                KafkaProducerMessage(topic: topic, partition: 1, key: "k", value: "v"))
            #expect(report.partition == 1)
            await producer.shutdown()
        }
    }
}
