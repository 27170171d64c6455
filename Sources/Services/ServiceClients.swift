import Consumers
import Kafka
import Logging
import Postgres
import ServiceLifecycle

/// The clients of one hosted service, created once and injected into its relay and its
/// consumer instances:
///
/// - one `PostgresConnectionPool` of the service's database, with the work timeouts
///   (`withWorkTimeouts()`), sized for the relay's two connections (lock session and work),
///   one per consumer instance and a little headroom;
/// - one ``SharedProducer`` for every instance's retries and dead letters (one C handle,
///   replaced once after a fatal error, whichever instance saw it).
///
/// The relay keeps its own producer (see `OutboxRelay`): its idempotent, gapless settings and
/// its restart after a fatal error belong to its delivery bookkeeping.
///
/// It is a `Service` registered first in the host's `ServiceGroup`, so it shuts down last:
/// when the graceful shutdown reaches it, the consumers and the relay have stopped and
/// given their connections back; it then flushes and shuts down the producer and closes the
/// pool. On cancellation (no graceful shutdown) it closes them the same way.
public final class ServiceClients: Service, Sendable {
    public let pool: PostgresConnectionPool
    public let producer: SharedProducer
    private let logger: Logger

    /// Extra connections beyond the relay's two and one per consumer instance.
    public static let headroom = 1

    /// - Parameters:
    ///   - database: the service's database; the pool adds the work timeouts.
    ///   - consumerInstances: consumer instances that will draw from the pool.
    ///   - producer: the settings of the consumers' shared producer.
    public init(
        database: PostgresConfiguration, consumerInstances: Int, producer: KafkaProducerConfiguration,
        logger: Logger
    ) {
        self.pool = PostgresConnectionPool(
            configuration: database.withWorkTimeouts(), maxConnections: 2 + consumerInstances + Self.headroom,
            logger: logger)
        self.producer = SharedProducer(configuration: producer, logger: logger)
        self.logger = logger
    }

    /// What each consumer instance is given.
    public var consumers: ConsumerClients { ConsumerClients(pool: pool, producer: producer) }

    /// Waits for the graceful shutdown (or cancellation), then closes the clients.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Shuts the producer down (flushing first) and closes the pool; idempotent.
    public func close() async {
        await consumers.close()
        logger.info("service clients closed", metadata: ["open_connections": "\(pool.openConnections)"])
    }
}
