import ArgumentParser
import Contracts
import DeadLetters
import Logging

struct DlqDiscardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discard", abstract: "Give up on dead letters, with a reason kept in the audit trail.")

    @Argument(help: "Record ids.") var ids: [Int64]
    @Option(help: "Why (required; audited).") var reason: String
    @OptionGroup var ops: OpsDatabaseOptions

    func validate() throws {
        if ids.isEmpty { throw ValidationError("give at least one record ID") }
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must not be empty") }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        try await DlqMark.apply(ids, status: .discarded, action: "discard", reason: reason, ops: ops)
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
        _ ids: [Int64], status: DeadLetterStatus, action: String, reason: String?, ops: OpsDatabaseOptions
    )
        async throws
    {
        do {
            try await ops.withStore { store in
                _ = try await store.records(ids)  // all exist, or nothing changes
                for id in ids {
                    let detail = reason.map { JSONObject([("reason", .string($0))]) } ?? JSONObject()
                    try await store.mark(id, status: status, actor: DlqActor.current, action: action, detail: detail)
                    print("\(action) \(id): \(status)")
                }
            }
        } catch let error as DeadLetterError {
            throw error.exit
        }
    }
}
