import ArgumentParser
import Consumers
import Foundation
import Kafka
import Logging
import Operations
import Outbox
import Postgres
import ServiceLifecycle
import Services
import Topics

/// `choreo dev up`: the whole local system on the embedded defaults.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the local development system.",
        subcommands: [DevUpCommand.self]
    )
}

struct DevUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract:
            "Start the embedded broker with every declared topic and every service (its database, relay and consumer groups); seed data and drive orders.",
        discussion: """
            Prints the bootstrap servers as the first line and records them in
            .choreo/dev-state.json under the project root, so `choreo publish`, `choreo consume`
            and `choreo verify` in another terminal find the system by themselves.

            Before it seeds, it waits until the system is ready — every consumer group joined
            with partitions assigned, every relay up (with --processes: each child's
            /health/ready, on an operations port of its own) — and prints "ready in X s"; after
            --ready-timeout seconds it stops with an error naming what was not ready.

            Each service gets its own database on the local PostgreSQL (choreo_<service>, or as
            CHOREO_<SERVICE>_DATABASE_URL / CHOREO_DATABASE_URL say), created and migrated. Stock
            and --customers customers (every fourth with little credit) are seeded. With
            --orders-per-second and --duration it sends order.place commands (one in ten asks
            for a scarce SKU), so some orders fail for stock and some for credit, then waits up
            to --settle seconds for orders in flight and stops by itself. A status line is
            printed every --status-interval seconds (a panel redrawn in place on a terminal) and a summary at the end. Ctrl-C (SIGINT) or
            SIGTERM stops everything cleanly. --processes runs each service as its own child
            process (`choreo service run <name>`) instead of in this one.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var operations: OperationsOptions
    @OptionGroup var logging: LogOptions

    @Option(help: "Brokers in the embedded cluster.")
    var brokers: Int = 1

    @Flag(help: "Run each service as a child process (`choreo service run`).")
    var processes = false

    @Option(help: "order.place commands sent per second (needs --duration).")
    var ordersPerSecond: Int = 0

    @Option(help: "Seconds to send orders; then settle and stop. Without it, runs until Ctrl-C.")
    var duration: Double?

    @Option(help: "Seconds to wait after the traffic for orders in flight to end.")
    var settle: Double = 20

    @Option(help: "Customers to register at start.")
    var customers: Int = 40

    @Option(help: "Seconds between status lines.")
    var statusInterval: Double = 5

    @Option(help: "Seconds to wait for the system to be ready (every group joined, every relay up) before seeding.")
    var readyTimeout: Double = 60

    func validate() throws {
        guard (1...9).contains(brokers) else { throw ValidationError("--brokers must be 1…9") }
        guard (0...100_000).contains(ordersPerSecond) else {
            throw ValidationError("--orders-per-second must be 0…100000")
        }
        if let duration, !(duration > 0 && duration <= 86_400) {
            throw ValidationError("--duration must be 0…86400 seconds")
        }
        if ordersPerSecond > 0 && duration == nil { throw ValidationError("--orders-per-second needs --duration") }
        guard settle >= 0, settle <= 3600 else { throw ValidationError("--settle must be 0…3600 seconds") }
        guard (1...10_000).contains(customers) else { throw ValidationError("--customers must be 1…10000") }
        guard readyTimeout > 0, readyTimeout <= 3600 else {
            throw ValidationError("--ready-timeout must be 0…3600 seconds")
        }
        guard statusInterval >= 0.5 else { throw ValidationError("--status-interval must be at least 0.5 seconds") }
    }

    func run() async throws {
        try logging.bootstrap()
        operations.bootstrapMetrics()
        let logger = Logger(label: "choreo.dev")
        let system = DevSystem(root: root.projectRoot, brokers: brokers, processes: processes)
        // With --processes the endpoint covers this process (the driver); each child serves
        // its own only if given CHOREO_OPS_PORT.
        let operations = self.operations
        try await system.run(
            logger: logger,
            operations: { databases, consumers, relays in
                try operations.services(
                    checks: [.databases(databases), .consumers(consumers), .relays(relays)], logger: logger)
            }
        ) { parts in
            DevDriver(
                settings: .init(
                    ordersPerSecond: ordersPerSecond, duration: duration.map { .milliseconds(Int($0 * 1000)) },
                    settle: .milliseconds(Int(settle * 1000)),
                    statusInterval: .milliseconds(Int(statusInterval * 1000)),
                    customers: customers, readyTimeout: .milliseconds(Int(readyTimeout * 1000))),
                parts: parts, logger: logger)
        }
    }
}
