import ArgumentParser
import Consumers
import Contracts
import DeadLetters
import Foundation
import Logging
import Postgres
import Topics

/// `choreo dlq list|show|replay|discard|hold|stats|check|worker`: the dead-letter store.
struct DlqCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Find, inspect, replay, discard and hold dead letters; run the dead-letter worker.",
        subcommands: [
            DlqListCommand.self, DlqShowCommand.self, DlqReplayCommand.self, DlqDiscardCommand.self,
            DlqHoldCommand.self, DlqStatsCommand.self, DlqCheckCommand.self, DlqWorkerCommand.self,
        ]
    )
}

/// The operations database: `--ops-database-url`, then `CHOREO_OPS_DATABASE_URL`, then
/// the local default of `scripts/setup.sh` (`choreo_ops`).
struct OpsDatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL of the operations database (env CHOREO_OPS_DATABASE_URL).")
    var opsDatabaseURL: String?

    static let localDefault = "postgresql://choreo:choreo@127.0.0.1:5432/choreo_ops"

    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> PostgresConfiguration
    {
        try PostgresConfiguration(url: opsDatabaseURL ?? environment["CHOREO_OPS_DATABASE_URL"] ?? Self.localDefault)
    }

    /// An installed store on a small pool; `body` runs with it, the pool is closed after.
    func withStore<T: Sendable>(_ body: (DeadLetterStore) async throws -> T) async throws -> T {
        let pool = PostgresConnectionPool(configuration: try configuration(), maxConnections: 2)
        let store = DeadLetterStore(pool: pool)
        do {
            try await store.install()
            let value = try await body(store)
            await pool.shutdown()
            return value
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}

/// What the project declares: groups, topics, contracts.
struct DlqProject {
    let specs: [ConsumerGroupSpec]
    let catalog: TopicCatalog
    let registry: ContractRegistry

    static func load(_ root: ProjectRoot) throws -> DlqProject {
        DlqProject(
            specs: try ConsumerGroupSpec.loadAll(root.consumers),
            catalog: try TopicCatalog.load(directory: root.topics),
            registry: try ContractRegistry(directory: root.contracts))
    }

    var destinations: ReplayDestinations { ReplayDestinations(groups: specs, catalog: catalog) }
}

extension DeadLetterError {
    /// The CLI's exit for a refused request: the message on standard error, exit 1.
    var exit: ExitCode { CLI.failure(1, message) }
}

/// Who acts, for the audit trail: `$CHOREO_ACTOR`, then `$USER`, then `cli`.
enum DlqActor {
    static var current: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["CHOREO_ACTOR"] ?? environment["USER"].map { "\($0) (cli)" } ?? "cli"
    }
}
