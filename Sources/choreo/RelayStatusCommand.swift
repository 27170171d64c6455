import ArgumentParser
import Foundation
import Logging
import Outbox
import Postgres

/// `choreo relay status`: the outbox backlog and the keys the relay has blocked, read from
/// the database (any process can ask; the active relay records its blocks there).
struct RelayStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the outbox backlog and the keys the relay has blocked, with the reason."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Service name, for CHOREO_<SERVICE>_DATABASE_URL.")
    var service: String?

    @Option(help: "Outbox table name.")
    var table: String = "outbox"

    @Flag(help: "One JSON object per line (the backlog, then one per blocked key) instead of the text.")
    var json = false

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let schema = try OutboxSchema(table: table, channel: "choreo_\(table)")
        let status = try await PostgresConnection.withConnection(
            configuration: try database.configuration(service: service), logger: Logger(label: "choreo.relay.status")
        ) { connection in try await OutboxStatus.read(schema: schema, on: connection) }
        if json {
            JSONLines.print([
                ("kind", .string("backlog")), ("table", .string(table)),
                ("pending_rows", JSONLines.int(status.backlog)),
                ("oldest_pending_age_seconds", JSONLines.double(status.oldestPendingAge)),
                ("blocked_keys", JSONLines.int(status.blocked.count)),
            ])
            for entry in status.blocked {
                let block = entry.block
                JSONLines.print([
                    ("kind", .string("blocked-key")), ("key", JSONLines.optional(block.key)),
                    ("row", JSONLines.int(block.blockerID)), ("code", .string(block.code)),
                    ("waiting_rows", JSONLines.int(entry.waitingRows)), ("topic", .string(block.topic)),
                    ("type", .string(block.eventType)), ("attempts", JSONLines.int(block.attempts)),
                    ("since", .string(block.since.formatted(.iso8601))),
                    ("next_attempt_at", .string(block.nextAttemptAt.formatted(.iso8601))),
                    ("reason", .string(block.reason)),
                ])
            }
            return
        }
        print("backlog: \(status.backlog) pending rows, oldest \(String(format: "%.1f", status.oldestPendingAge)) s")
        guard !status.blocked.isEmpty else {
            print("blocked keys: none")
            return
        }
        print("blocked keys: \(status.blocked.count)")
        for entry in status.blocked {
            let block = entry.block
            print(
                """
                  key \(block.key ?? "<none>")  row \(block.blockerID)  \(block.code)  waiting \(entry.waitingRows) rows
                    topic \(block.topic)  type \(block.eventType)  attempts \(block.attempts)  \
                since \(block.since.formatted(.iso8601))  next \(block.nextAttemptAt.formatted(.iso8601))
                    reason: \(block.reason)
                """)
        }
    }
}
