import ArgumentParser
import Contracts
import DeadLetters
import Logging

struct DlqStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Dead-letter counts by group, reason, type, status and age.")

    @Flag(help: "One JSON object.") var json = false
    @OptionGroup var ops: OpsDatabaseOptions

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let stats = try await ops.withStore { try await $0.stats() }
        if json {
            var object = JSONObject([("total", .number(.int(stats.total)))])
            for dimension in ["group", "reason", "type", "status", "age"] {
                object[dimension] = .object(
                    JSONObject(
                        stats.counts.filter { $0.dimension == dimension }.map {
                            (
                                $0.value,
                                .object(
                                    JSONObject([
                                        ("count", .number(.int($0.count))), ("pending", .number(.int($0.pending))),
                                    ]))
                            )
                        }))
            }
            print(JSONValue.object(object).jsonText)
            return
        }
        print("total: \(stats.total)")
        for dimension in ["group", "reason", "type", "status", "age"] {
            print("by \(dimension):")
            for count in stats.counts where count.dimension == dimension {
                print("  " + count.value.padding(36) + "\(count.count)".padding(8) + "(\(count.pending) pending)")
            }
        }
    }
}
