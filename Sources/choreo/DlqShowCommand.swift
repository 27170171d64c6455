import ArgumentParser
import Contracts
import DeadLetters
import Logging

struct DlqShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One dead letter: its fields, headers, pretty-printed data and audit trail.")

    @Argument(help: "The record id (see `choreo dlq list`).") var id: Int64
    @Flag(help: "One JSON object with the list fields plus headers, data and audit.") var json = false
    @Flag(help: "Hide data fields the contract marks \"x-sensitive\": true.") var redact = false
    @OptionGroup var root: RootOptions
    @OptionGroup var ops: OpsDatabaseOptions

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let (record, audit) = try await ops.withStore { store in
            guard let record = try await store.record(id) else {
                throw CLI.failure(1, "no dead letter with id \(id) (see `choreo dlq list`)")
            }
            return (record, try await store.audit(id))
        }
        var data = DlqRecordFormat.data(record.value)
        if redact {
            let registry = try ContractRegistry(directory: root.projectRoot.contracts)
            guard let type = record.fullType, let contract = registry.contract(for: type) else {
                throw CLI.failure(1, "--redact needs the contract of the record's type; none found in contracts/")
            }
            data = SensitiveFields.redact(data, schema: contract.document)
        }
        var object = DlqRecordFormat.summary(record)
        object["headers"] = .array(
            record.headers.map { header in
                .object(
                    JSONObject([
                        ("key", .string(header.key)), ("value", header.stringValue.map { .string($0) } ?? .null),
                    ]))
            })
        object["data"] = data
        object["audit"] = .array(
            audit.map { entry in
                .object(
                    JSONObject([
                        ("id", .number(.int(entry.id))), ("at", .string(RFC3339.format(entry.at))),
                        ("actor", .string(entry.actor)), ("action", .string(entry.action)),
                        ("outcome", .string(entry.outcome)),
                        ("detail", (try? JSONValue(parsing: entry.detail)) ?? .string(entry.detail)),
                    ]))
            })
        if json {
            print(JSONValue.object(object).jsonText)
            return
        }
        print("dead letter \(record.id) — \(record.status)")
        for (label, value) in [
            ("group", record.group), ("reason", record.reason), ("error", record.error),
            ("attempts", "\(record.attempts)"), ("failed at", RFC3339.format(record.failedAt)),
            ("event", "\(record.eventID ?? "-") \(record.fullType?.description ?? record.eventType ?? "-")"),
            ("key", record.keyText ?? "-"),
            ("original", "\(record.originalTopic)[\(record.originalPartition)]@\(record.originalOffset)"),
            ("dead letter", "\(record.dlqTopic)[\(record.dlqPartition)]@\(record.dlqOffset)"),
            ("replays", "\(record.replayCount)"),
        ] + (DlqRecordFormat.truncationNote(record).map { [("truncated", $0)] } ?? []) {
            print("  " + label.padding(12) + value)
        }
        print("headers:")
        for header in record.headers { print("  \(header.key): \(header.stringValue ?? "(binary)")") }
        print("data:")
        print(PrettyJSON.format(data, indent: "  "))
        print("audit:")
        for entry in audit {
            print("  #\(entry.id) \(RFC3339.format(entry.at)) \(entry.actor) \(entry.action): \(entry.outcome)")
        }
    }
}
