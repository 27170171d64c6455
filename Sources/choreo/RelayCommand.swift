import ArgumentParser
import Kafka
import Logging
import Outbox
import Postgres
import ServiceLifecycle

/// `choreo relay`: publishes one database's outbox to Kafka until SIGTERM/SIGINT.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Publish a service database's outbox to Kafka (one active relay per database; others stand by).",
        discussion: """
            Run as many as you like against one database: one holds the advisory lock and
            publishes, the others stand by and take over within a second or two. SIGTERM or
            SIGINT finishes the in-flight batch (at most --shutdown-grace seconds) and
            releases the lock.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions

    @Option(help: "Service name, for CHOREO_<SERVICE>_DATABASE_URL and the default ce_source.")
    var service: String?

    @Option(help: "ce_source for rows that carry none (default /services/<service> or /choreo/outbox-relay).")
    var source: String?

    @Option(help: "Outbox table name.")
    var table: String = "outbox"

    @Option(help: "Rows per batch (1…50000).")
    var batchSize: Int = 5_000

    @Option(help: "Keep delivered rows this many hours for audit, then delete them (default: delete at once).")
    var keepDeliveredHours: Double?

    @Option(help: "Seconds to let an in-flight batch finish on shutdown.")
    var shutdownGrace: Double = 5

    @Flag(help: "Do not create the outbox table if it is missing.")
    var noMigrate = false

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let logger = Logger(label: "choreo.relay")
        let schema = try OutboxSchema(table: table, channel: "choreo_\(table)")
        let postgres = try database.configuration(service: service)
        var producer = KafkaProducerConfiguration(client: try kafka.configuration(root: root.projectRoot))
        producer.client.clientID = "choreo-relay"
        var configuration = OutboxRelayConfiguration(producer: producer)
        configuration.batchSize = batchSize
        configuration.defaultSource = source ?? service.map { "/services/\($0)" } ?? "/choreo/outbox-relay"
        configuration.keepDelivered = keepDeliveredHours.map { .milliseconds(Int64($0 * 3_600_000)) }
        configuration.shutdownGracePeriod = .milliseconds(Int64(shutdownGrace * 1000))
        if !noMigrate {
            let connection = try await PostgresConnection.connect(configuration: postgres, logger: logger)
            try await schema.install(on: connection)
            await connection.close()
        }
        let relay = try OutboxRelay(database: postgres, configuration: configuration, schema: schema, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [relay],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
