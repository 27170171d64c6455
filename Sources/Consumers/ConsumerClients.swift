import Logging
import Postgres

/// The clients consumer instances draw from: a connection pool of their database (each
/// running instance holds one connection, replaced when it breaks) and the producer of
/// their retries and dead letters.
///
/// A hosted service injects one for all its instances (`ServiceClients` owns and closes
/// it after they stopped). A runtime built without one makes a private one per run, with a
/// one-connection pool, and closes it when the run ends: both paths are the same code.
public struct ConsumerClients: Sendable {
    public let pool: PostgresConnectionPool
    public let producer: SharedProducer

    public init(pool: PostgresConnectionPool, producer: SharedProducer) {
        self.pool = pool
        self.producer = producer
    }

    /// The private clients of one standalone instance: one connection with the work
    /// timeouts, and its own producer.
    static func standalone(for configuration: ConsumerConfiguration, logger: Logger) -> ConsumerClients {
        ConsumerClients(
            pool: PostgresConnectionPool(
                configuration: configuration.database.withWorkTimeouts(), maxConnections: 1, logger: logger),
            producer: SharedProducer(configuration: SharedProducer.configuration(for: configuration), logger: logger))
    }

    /// Shuts the producer down (flushing first), then closes the pool's connections.
    public func close() async {
        await producer.shutdown()
        await pool.shutdown()
    }
}
