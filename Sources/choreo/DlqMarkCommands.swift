import ArgumentParser
import Consumers
import Contracts
import DeadLetters
import Kafka
import Logging

struct DlqDiscardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discard", abstract: "Give up on dead letters, with a reason kept in the audit trail.")

    @Argument(help: "Record ids.") var ids: [Int64]
    @Option(help: "Why (required; audited).") var reason: String
    @Flag(
        help:
            "For a group that preserves key order: drop the events parked behind the record instead of applying them."
    )
    var dropParked = false
    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var ops: OpsDatabaseOptions

    func validate() throws {
        if ids.isEmpty { throw ValidationError("give at least one record ID") }
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must not be empty") }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let project = try DlqProject.load(root.projectRoot)
        let groups = Dictionary(project.specs.map { ($0.group, $0) }, uniquingKeysWith: { first, _ in first })
        // Created only when a record blocks a key (its group preserves key order).
        var producer: KafkaProducer?
        do {
            try await DlqMark.apply(ids, status: .discarded, action: "discard", reason: reason, ops: ops) { record in
                // The key this record blocks is released — or with --drop-parked, discarded — by
                // the group itself, through a control message on its replay topic.
                guard
                    let control = ParkedKeyRelease.control(
                        for: record, spec: groups[record.group], action: dropParked ? .discard : .release)
                else { return nil }
                let sender =
                    try producer
                    ?? KafkaProducer(
                        configuration: KafkaProducerConfiguration(
                            client: try kafka.configuration(root: root.projectRoot)))
                producer = sender
                return try await ParkedKeyRelease.send(control, group: record.group, producer: sender)
            }
        } catch {
            await producer?.shutdown()
            throw error
        }
        await producer?.shutdown()
    }
}

struct DlqHoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: "Set dead letters aside: no automatic re-drive touches them.")

    @Argument(help: "Record ids.") var ids: [Int64]
    @OptionGroup var ops: OpsDatabaseOptions

    func validate() throws {
        if ids.isEmpty { throw ValidationError("give at least one record ID") }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        try await DlqMark.apply(ids, status: .held, action: "hold", reason: nil, ops: ops)
    }
}

enum DlqMark {
    static func apply(
        _ ids: [Int64], status: DeadLetterStatus, action: String, reason: String?, ops: OpsDatabaseOptions,
        before: (DeadLetterRecord) async throws -> String? = { _ in nil }
    )
        async throws
    {
        do {
            try await ops.withStore { store in
                let records = try await store.records(ids)  // all exist, or nothing changes
                for record in records {
                    var detail = reason.map { JSONObject([("reason", .string($0))]) } ?? JSONObject()
                    if let sent = try await before(record) {
                        detail["parkedKey"] = .string(sent)
                        print("record \(record.id): \(sent)")
                    }
                    try await store.mark(
                        record.id, status: status, actor: DlqActor.current, action: action, detail: detail)
                    print("\(action) \(record.id): \(status)")
                }
            }
        } catch let error as DeadLetterError {
            throw error.exit
        }
    }
}
