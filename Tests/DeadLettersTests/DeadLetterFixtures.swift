import ChoreoTestSupport
import Consumers
import Contracts
import DeadLetters
import Foundation
import Kafka
import Postgres

/// Dead-letter messages as a consumer group writes them, and a store on a scratch database.
enum DeadLetterFixtures {
    static let group = "test-group"
    static let topic = "consumer.test.events"

    /// A `test.event.v1` dead letter of `group` with the `dlq_*` headers.
    static func message(
        offset: Int64, key: String = "k1", seq: Int = 1, reason: String = "handler-error", group: String = group,
        error: String = "boom", value: [UInt8]? = nil, extra: [KafkaHeader] = [], id: UUID = UUID(),
        failedAt: Date = Date(), time: Date = Date(), type: EventType = TestContracts.v1,
        truncation: DeadLetter.Truncation? = nil
    ) -> KafkaConsumerMessage {
        let envelope = EventEnvelope(
            id: id, type: type, source: "/tests/dead-letters", time: time, subject: key, correlationID: "corr-\(key)",
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        let headers =
            envelope.kafkaHeaders() + extra
            + DeadLetter(
                originalTopic: topic, originalPartition: 0, originalOffset: offset, group: group,
                reason: DeadLetterReason(reason), error: error, attempts: 3, failedAt: failedAt, truncation: truncation
            ).headers
        return KafkaConsumerMessage(
            topic: "\(group).dlq", partition: 0, offset: offset, key: Array(key.utf8),
            value: value ?? TestContracts.data(key: key, seq: seq), headers: headers, timestamp: nil)
    }

    /// Runs `body` with an installed store on a fresh scratch database.
    static func withStore<T>(_ body: (DeadLetterStore, PostgresConfiguration) async throws -> T) async throws -> T {
        try await withScratchDatabase { database in
            let pool = PostgresConnectionPool(configuration: database, maxConnections: 2)
            let store = DeadLetterStore(pool: pool)
            do {
                try await store.install()
                let result = try await body(store, database)
                await pool.shutdown()
                return result
            } catch {
                await pool.shutdown()
                throw error
            }
        }
    }
}
