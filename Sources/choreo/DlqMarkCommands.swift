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
        // Created only when a record blocks a key (its group preserves key order).
        var producer: KafkaProducer?
        do {
            try await DlqMark.apply(ids, status: .discarded, action: "discard", reason: reason, ops: ops) { record in
                try await Self.releaseParked(by: record, specs: project.specs, dropParked: dropParked) {
                    let sender =
                        try producer
                        ?? KafkaProducer(
                            configuration: KafkaProducerConfiguration(
                                client: try kafka.configuration(root: root.projectRoot)))
                    producer = sender
                    return sender
                }
            }
        } catch {
            await producer?.shutdown()
            throw error
        }
        await producer?.shutdown()
    }
}

extension DlqDiscardCommand {
    /// What discarding `record` needs first: the key it blocks is released — or with
    /// `dropParked`, its parked events discarded — by the group itself, through a control
    /// message on its replay topic. Returns where the control went; nil when the record's
    /// group does not preserve key order (or the record blocks no key). Also used by
    /// `choreo chaos --replay-poison`.
    static func releaseParked(
        by record: DeadLetterRecord, specs: [ConsumerGroupSpec], dropParked: Bool,
        producer: () throws -> KafkaProducer
    ) async throws -> String? {
        guard
            let control = ParkedKeyRelease.control(
                for: record, spec: specs.first { $0.group == record.group }, action: dropParked ? .discard : .release)
        else { return nil }
        return try await ParkedKeyRelease.send(control, group: record.group, producer: try producer())
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
                try await apply(ids, status: status, action: action, reason: reason, store: store, before: before)
            }
        } catch let error as DeadLetterError {
            throw error.exit
        }
    }

    /// Marks `ids` on `store` (every id checked first), each after `before`, and says what
    /// was done through `output`.
    static func apply(
        _ ids: [Int64], status: DeadLetterStatus, action: String, reason: String?, store: DeadLetterStore,
        output: (String) -> Void = { print($0) }, before: (DeadLetterRecord) async throws -> String? = { _ in nil }
    ) async throws {
        let records = try await store.records(ids)  // all exist, or nothing changes
        for record in records {
            var detail = reason.map { JSONObject([("reason", .string($0))]) } ?? JSONObject()
            if let sent = try await before(record) {
                detail["parkedKey"] = .string(sent)
                output("record \(record.id): \(sent)")
            }
            try await store.mark(record.id, status: status, actor: DlqActor.current, action: action, detail: detail)
            output("\(action) \(record.id): \(status)")
        }
    }
}
