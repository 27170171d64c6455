import Consumers
import DeadLetters
import Foundation
import Kafka
import Logging
import Postgres
import ServiceLifecycle

/// The dead-letter worker inside `choreo dev up`: stores every group's dead letters in the
/// operations database (`choreo_ops` by default) and runs the re-drive policies, so
/// `choreo dlq list` works against the local system. If the operations database cannot be
/// reached, it logs why and stops, and the rest of the system keeps running.
struct DevDeadLetterWorker: Service {
    let project: DlqProject
    let kafka: KafkaConfiguration
    let ops: PostgresConfiguration
    let logger: Logger

    func run() async throws {
        let pool = PostgresConnectionPool(configuration: ops, maxConnections: 2, logger: logger)
        let store = DeadLetterStore(pool: pool)
        let producer: KafkaProducer
        do {
            try await store.install()
            producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: kafka), logger: logger)
        } catch {
            logger.warning(
                "dead-letter worker not started: the operations database is unavailable (set CHOREO_OPS_DATABASE_URL or --ops-database-url)",
                metadata: ["error": "\(error)"])
            await pool.shutdown()
            return
        }
        do {
            let worker = try DeadLetterWorker(
                configuration: DeadLetterWorkerConfiguration(groups: project.specs, kafka: kafka), store: store,
                replayer: DeadLetterReplayer(
                    store: store, destinations: project.destinations, registry: project.registry, producer: producer),
                logger: logger)
            try await worker.run()
        } catch {
            logger.warning("dead-letter worker stopped", metadata: ["error": "\(error)"])
        }
        await producer.shutdown()
        await pool.shutdown()
    }
}
