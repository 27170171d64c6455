import ArgumentParser
import Foundation
import Kafka
import Logging
import Topics

/// `choreo topics plan|apply`: declared topics against a cluster.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Diff topics/*.yaml against a Kafka cluster and create or alter topics.",
        subcommands: [TopicsPlanCommand.self, TopicsApplyCommand.self]
    )
}

/// Shared by plan and apply: load the catalog and read the cluster.
struct TopicsContext {
    let catalog: TopicCatalog
    let admin: KafkaAdmin
    let plan: TopicPlan

    static func load(root: RootOptions, kafka: KafkaOptions) async throws -> TopicsContext {
        let project = root.projectRoot
        let catalog: TopicCatalog
        do { catalog = try TopicCatalog.load(directory: project.topics) } catch {
            throw CLI.failure(2, "\(error)")
        }
        let admin = try KafkaAdmin(configuration: try kafka.configuration(root: project))
        let metadata = try await admin.metadata(timeout: .seconds(10))
        let declared = try ProjectTopics.all(catalog: catalog, root: project)
        var existing: [ExistingTopic] = []
        for topic in metadata.topics where !topic.name.hasPrefix("__") {
            var configs: [String: String] = [:]
            if let spec = declared.first(where: { $0.name == topic.name }), !spec.configs.isEmpty {
                configs = try await admin.describeTopicConfigs(topic.name, timeout: .seconds(10))
            }
            existing.append(
                ExistingTopic(
                    name: topic.name, partitions: topic.partitions.count,
                    replicationFactor: topic.partitions.first?.replicas.count ?? 1, configs: configs))
        }
        return TopicsContext(
            catalog: catalog, admin: admin,
            plan: TopicPlan.make(declared: declared, existing: existing))
    }
}

struct TopicsPlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what `topics apply` would change. Exits 2 when the plan has problems.")

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions

    @Flag(help: "One JSON object per line (one per action and per problem) instead of the text.")
    var json = false

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let context = try await TopicsContext.load(root: root, kafka: kafka)
        if json { JSONLines.print(context.plan) } else { print(context.plan.description) }
        if !context.plan.problems.isEmpty { throw ExitCode(2) }
    }
}

struct TopicsApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Create missing topics, add partitions and set declared configs through the Kafka admin API.",
        discussion: """
            Partitions only grow and replication factors are never changed: a plan with such
            problems is refused (exit 2) unless --skip-problems is given. Topics no spec declares
            are left alone. The embedded broker has no admin API: `choreo broker --topics topics/`
            and `choreo dev up` create the declared topics themselves.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions

    @Flag(help: "Apply the other actions even though the plan has problems.")
    var skipProblems = false

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let context = try await TopicsContext.load(root: root, kafka: kafka)
        print(context.plan.description)
        if !context.plan.problems.isEmpty && !skipProblems {
            throw CLI.failure(2, "the plan has problems; nothing applied (fix the specs, or pass --skip-problems)")
        }
        for action in context.plan.actions {
            switch action {
            case .create(let spec):
                try await context.admin.createTopics(
                    [
                        KafkaTopicSpecification(
                            name: spec.name, partitions: spec.partitions, replicationFactor: spec.replicationFactor,
                            configs: spec.configs)
                    ],
                    timeout: .seconds(30))
                print("created \(spec.name)")
            case .addPartitions(let topic, _, let to):
                try await context.admin.createPartitions(topic: topic, totalCount: to, timeout: .seconds(30))
                print("\(topic): now \(to) partitions")
            case .alterConfigs(let topic, let changes):
                var configs: [String: String] = [:]
                for change in changes { configs[change.key] = change.new }
                try await context.admin.alterTopicConfigs(topic: topic, configs: configs, timeout: .seconds(30))
                print("\(topic): configs updated")
            }
        }
        if context.plan.actions.isEmpty { print("applied nothing") }
    }
}
