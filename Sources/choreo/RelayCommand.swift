import ArgumentParser
import Foundation
import Kafka
import Logging
import Operations
import Outbox
import Postgres
import ServiceLifecycle
import Services
import Topics

/// `choreo relay`: publishes one database's outbox to Kafka until SIGTERM/SIGINT.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Publish a service database's outbox to Kafka (one active relay per database; others stand by).",
        discussion: """
            Run as many as you like against one database: one holds the advisory lock and
            publishes, the others stand by and take over within a second or two. SIGTERM or
            SIGINT finishes the in-flight batch (at most --shutdown-grace seconds) and
            releases the lock. With --root (or CHOREO_ROOT), rows whose topic topics/ does
            not declare for their type block their key. `choreo relay status` lists blocked keys.
            """,
        subcommands: [RelayStatusCommand.self]
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var operations: OperationsOptions
    @OptionGroup var logging: LogOptions

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

    @Option(help: "The most message bytes awaiting delivery at once (default 64 MiB): bounds the relay's memory.")
    var maxInFlightBytes: Int = 64 * 1024 * 1024

    @Flag(help: "Do not create the outbox table if it is missing.")
    var noMigrate = false

    /// The largest `--keep-delivered-hours` (about 100 years): larger values overflow durations.
    static let maximumKeepDeliveredHours = 876_000.0
    /// The largest `--shutdown-grace` in seconds (one hour).
    static let maximumShutdownGrace = 3_600.0

    func validate() throws {
        if let hours = keepDeliveredHours, !(hours.isFinite && hours > 0 && hours <= Self.maximumKeepDeliveredHours) {
            throw ValidationError(
                "--keep-delivered-hours must be a number of hours above 0 and at most \(Int(Self.maximumKeepDeliveredHours))"
            )
        }
        guard maxInFlightBytes >= 1024 else {
            throw ValidationError("--max-in-flight-bytes must be at least 1024")
        }
        guard shutdownGrace.isFinite, shutdownGrace >= 0, shutdownGrace <= Self.maximumShutdownGrace else {
            throw ValidationError(
                "--shutdown-grace must be a number of seconds from 0 to \(Int(Self.maximumShutdownGrace))")
        }
    }

    func run() async throws {
        try logging.bootstrap()
        operations.bootstrapMetrics()
        let logger = Logger(label: "choreo.relay")
        let tracing = try TracingBootstrap.services(service: service ?? "relay", logger: logger)
        let schema = try OutboxSchema(table: table, channel: "choreo_\(table)")
        let postgres = try database.configuration(service: service)
        var producer = KafkaProducerConfiguration(client: try kafka.configuration(root: root.projectRoot))
        producer.client.clientID = "choreo-relay"
        var configuration = try OutboxRelayConfiguration(producer: producer)
        configuration.batchSize = batchSize
        configuration.maxInFlightBytes = maxInFlightBytes
        if root.root != nil || ProcessInfo.processInfo.environment["CHOREO_ROOT"] != nil {
            configuration.declaredTopics = try TopicCatalog.load(directory: root.projectRoot.topics)
                .declaredTopicsByType
        }
        configuration.defaultSource = source ?? service.map { "/services/\($0)" } ?? "/choreo/outbox-relay"
        configuration.keepDelivered = keepDeliveredHours.map { .milliseconds(Int64($0 * 3_600_000)) }
        configuration.shutdownGracePeriod = .milliseconds(Int64(shutdownGrace * 1000))
        if !noMigrate {
            let connection = try await PostgresConnection.connect(configuration: postgres, logger: logger)
            try await schema.install(on: connection)
            await connection.close()
        }
        let relay = try OutboxRelay(database: postgres, configuration: configuration, schema: schema, logger: logger)
        let services = try operations.services(checks: [.databases([postgres]), .relays([relay])], logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: tracing + services + [.init(service: relay)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
