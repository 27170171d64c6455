import ArgumentParser
import Contracts
import DeadLetters
import Logging

struct DlqListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List dead letters, oldest first (a table; --json: one object per line).")

    @OptionGroup var filters: DlqFilterOptions
    @OptionGroup var ops: OpsDatabaseOptions
    @Flag(help: "One JSON object per line.") var json = false

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let filter = try filters.filter(defaultLimit: 100)
        let records = try await ops.withStore { try await $0.list(filter) }
        if json {
            for record in records { print(JSONValue.object(DlqRecordFormat.summary(record)).jsonText) }
            return
        }
        guard !records.isEmpty else {
            print("no dead letters match")
            return
        }
        print(DlqRecordFormat.tableHeader)
        for record in records { print(DlqRecordFormat.tableRow(record)) }
        if records.count == filter.limit { print("(first \(filter.limit); use --limit or filters for more)") }
    }
}
