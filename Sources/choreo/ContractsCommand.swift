import ArgumentParser
import Consumers
import Contracts
import Foundation
import Topics

/// `choreo contracts check|lock|validate`.
struct ContractsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts",
        abstract: "Check, lock and use the versioned event contracts in contracts/.",
        subcommands: [ContractsCheckCommand.self, ContractsLockCommand.self, ContractsValidateCommand.self]
    )
}

struct ContractsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Check every contract, its examples, the lock file, version rules and that topics/ and consumers/ name only known types.",
        discussion: "Prints one line per problem as `file#pointer: [rule] message` and exits 1 when there is any.")

    @OptionGroup var root: RootOptions

    func run() throws {
        let project = root.projectRoot
        var problems: [ContractProblem] = []
        var registry: ContractRegistry?
        do {
            registry = try ContractRegistry(directory: project.contracts)
        } catch let error as ContractLoadError {
            problems += error.problems.map { problem in
                var problem = problem
                problem.file = "contracts/" + problem.file
                return problem
            }
        }
        if let registry {
            do {
                let lock = try ContractLock.load(project.contracts.appending(path: ContractLock.fileName))
                problems += lock.check(registry).map { prefixed($0) }
            } catch let error as ContractLoadError {
                problems += error.problems.map { prefixed($0) }
            }
            problems += ContractRules.check(registry).map { prefixed($0) }
            var topics: [(file: String, name: String, eventTypes: [String])] = []
            do {
                topics = try TopicCatalog.load(directory: project.topics).topics.map {
                    ("topics/\($0.name).yaml", $0.name, $0.eventTypes)
                }
            } catch {
                problems.append(ContractProblem(file: "topics/", rule: "topics", message: "\(error)"))
            }
            var consumers: [(file: String, topics: [String], handles: [String])] = []
            do {
                consumers = try ConsumerGroupSpec.loadAll(project.consumers).map {
                    ("consumers/\($0.file)", $0.topics, $0.handles)
                }
            } catch {
                problems.append(ContractProblem(file: "consumers/", rule: "consumers", message: "\(error)"))
            }
            problems += ContractRules.crossCheck(registry, topics: topics, consumers: consumers)
        }
        for problem in problems { print(problem) }
        if !problems.isEmpty {
            throw CLI.failure(1, "\(problems.count) problem\(problems.count == 1 ? "" : "s") in contracts")
        }
        let count = registry?.types.count ?? 0
        print("ok: \(count) contract versions, lock file, version rules, topics/ and consumers/ all check out")
    }

    private func prefixed(_ problem: ContractProblem) -> ContractProblem {
        var problem = problem
        if !problem.file.hasPrefix("contracts/") { problem.file = "contracts/" + problem.file }
        return problem
    }
}

struct ContractsLockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Record newly published contract versions in contracts/contracts.lock.json.",
        discussion:
            "Refuses (exit 1) when a version that is already locked has changed: published versions are immutable.")

    @OptionGroup var root: RootOptions

    func run() throws {
        let project = root.projectRoot
        let registry = try ContractRegistry(directory: project.contracts)
        let url = project.contracts.appending(path: ContractLock.fileName)
        var lock = try ContractLock.load(url)
        let changed = lock.check(registry).filter { $0.rule == "immutable-published-version" }
        if !changed.isEmpty {
            for problem in changed { print(problem) }
            throw CLI.failure(1, "published versions changed; revert them and add a new major version instead")
        }
        let current = ContractLock.make(registry)
        let added = current.hashes.keys.filter { lock.hashes[$0] == nil }.sorted()
        for key in added { lock.hashes[key] = current.hashes[key] }
        try lock.rendered().write(to: url, atomically: true, encoding: .utf8)
        print(added.isEmpty ? "nothing new to lock" : "locked \(added.joined(separator: ", "))")
    }
}

struct ContractsValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate a payload against a contract or a schema file.",
        discussion:
            "Exit 0 when valid, 1 with the errors (pointer, keyword, message) when not, 2 when the schema is unusable or unknown."
    )

    @OptionGroup var root: RootOptions

    @Argument(help: "Event type (order.placed, or order.placed.v1).")
    var type: String?

    @Option(help: "Contract major version (default: the type's .vN suffix, else the newest).")
    var version: Int?

    @Option(help: "A JSON Schema file to validate against instead of a contract.")
    var schema: String?

    @Option(help: "The data: JSON, or @file, or @- for standard input.")
    var data: String

    func run() throws {
        let validator: JSONSchema
        let label: String
        if let schema {
            guard let bytes = FileManager.default.contents(atPath: schema) else {
                throw CLI.failure(2, "cannot read schema file '\(schema)'")
            }
            do { validator = try JSONSchema(data: Array(bytes)) } catch {
                throw CLI.failure(2, "the schema is unusable: \(error)")
            }
            label = schema
        } else if let type {
            let registry: ContractRegistry
            do { registry = try ContractRegistry(directory: root.projectRoot.contracts) } catch {
                throw CLI.failure(2, "contracts/ cannot be loaded: \(error)")
            }
            let eventType: EventType
            if let parsed = EventType(parsing: type) {
                eventType = parsed
            } else if let resolved = version ?? registry.latestVersion(of: type) {
                eventType = EventType(name: type, version: resolved)
            } else {
                throw CLI.failure(2, "no contract for '\(type)' in contracts/")
            }
            guard let contract = registry.contract(for: eventType) else {
                throw CLI.failure(
                    2,
                    "no contract for \(eventType) in contracts/ (versions: \(registry.versions(of: eventType.name).map { "v\($0)" }.joined(separator: ", ")))"
                )
            }
            validator = contract.schema
            label = eventType.description
        } else {
            throw ValidationError("give an event type or --schema FILE")
        }
        let document: JSONValue
        do { document = try JSONValue(parsing: try DataArgument.bytes(data)) } catch {
            throw CLI.failure(1, "--data is not JSON: \(error)")
        }
        let errors = validator.validate(document)
        guard errors.isEmpty else {
            for error in errors {
                print("\(error.instancePath.isEmpty ? "/" : error.instancePath): \(error.keyword): \(error.message)")
            }
            throw CLI.failure(1, "invalid against \(label): \(errors.count) error\(errors.count == 1 ? "" : "s")")
        }
        print("valid against \(label)")
    }
}
