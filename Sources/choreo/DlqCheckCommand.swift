import ArgumentParser
import Contracts
import DeadLetters
import Logging

struct DlqCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Exit 1 when a pending dead letter has a type or version its group can no longer read.",
        discussion: """
            Readable means: the group is declared in consumers/, handles the type's name, the
            contract of the record's type and version exists in contracts/, and the version is
            the handled one (this build of choreo registers no upcasters).
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var ops: OpsDatabaseOptions

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let project = try DlqProject.load(root.projectRoot)
        let pending = try await ops.withStore {
            try await $0.list(DeadLetterFilter(status: .pending, limit: 10_000_000))
        }
        let checker = ReadabilityCheck(groups: project.specs, registry: project.registry, upcasters: Upcasters())
        var unreadable = 0
        for record in pending {
            if let problem = checker.problem(record) {
                unreadable += 1
                print("record \(record.id) (\(record.group)): \(problem)")
            }
        }
        print("\(pending.count) pending record(s) checked; \(unreadable) unreadable")
        if unreadable > 0 { throw ExitCode(1) }
    }
}
