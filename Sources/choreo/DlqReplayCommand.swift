import ArgumentParser
import DeadLetters
import Foundation
import Kafka
import Logging

struct DlqReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay dead letters to their group's <group>.replay topic (or with --to-topic, the original topic).",
        discussion: """
            Give record IDs, or --group with list filters (without --status, only pending records).
            Every record is checked first (destination declared in topics/ and consumers/ and
            carrying the type; --yes for --to-topic; processedRetention; --edit against the
            contract); nothing is published unless all pass. A replay keeps ce_id, so a group
            that already applied the event skips it; replaying twice is harmless and audited.
            """
    )

    @Argument(help: "Record ids (or use --group with filters).") var ids: [Int64] = []
    @OptionGroup var filters: DlqFilterOptions
    @Flag(help: "Check and print what would happen; publish and record nothing.") var dryRun = false
    @Option(help: "At most N messages per second.") var rate: Double?
    @Option(help: "New data for a single record: JSON, or @file (@- for stdin); validated against its contract.")
    var edit: String?
    @Flag(help: "Replay to the original topic, which every subscribed group reads (needs --yes).") var toTopic = false
    @Flag(help: "Confirm --to-topic.") var yes = false
    @Flag(help: "Replay to the original topic even past a receiving group's processedRetention.") var force = false
    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var ops: OpsDatabaseOptions

    func validate() throws {
        if ids.isEmpty && filters.group == nil {
            throw ValidationError("give record IDs, or --group G with optional filters")
        }
        if !ids.isEmpty && !filters.isEmpty {
            throw ValidationError("give either record IDs or --group with filters, not both")
        }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be a number of messages per second > 0") }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let project = try DlqProject.load(root.projectRoot)
        var options = ReplayOptions(actor: DlqActor.current)
        options.toOriginalTopic = toTopic
        options.confirmed = yes
        options.force = force
        options.dryRun = dryRun
        options.rate = rate
        options.editedData = try edit.map { try DataArgument.bytes($0) }
        let producer =
            dryRun
            ? nil
            : try KafkaProducer(
                configuration: KafkaProducerConfiguration(client: try kafka.configuration(root: root.projectRoot)))
        let started = ContinuousClock.now
        let outcomes: [ReplayOutcome]
        do {
            // Each replay is a span; the exporter (when configured) flushes them before exit.
            outcomes = try await TracingBootstrap.flushing(service: "dlq", logger: Logger(label: "choreo.dlq")) {
                try await ops.withStore { store in
                    let records =
                        ids.isEmpty
                        ? try await store.list(try filters.filter(defaultLimit: 10_000_000, defaultStatus: .pending))
                        : try await store.records(ids)
                    let replayer = DeadLetterReplayer(
                        store: store, destinations: project.destinations, registry: project.registry, producer: producer
                    )
                    let bar = ProgressBar(total: records.count)
                    let outcomes = try await replayer.replay(records, options: options) { done, total in
                        bar.update(done)
                    }
                    bar.finish()
                    return outcomes
                }
            }
        } catch let error as DeadLetterError {
            await producer?.shutdown()
            throw error.exit
        }
        await producer?.shutdown()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        for outcome in outcomes {
            if dryRun {
                print("would replay record \(outcome.recordID) to \(outcome.destination)")
            } else if outcomes.count <= 20 {
                print(
                    "replayed record \(outcome.recordID) to \(outcome.destination) (replay id \(outcome.replayID ?? 0))"
                )
            }
        }
        let summary =
            dryRun
            ? "dry run: \(outcomes.count) record(s) would be replayed; nothing published"
            : "replayed \(outcomes.count) record(s)"
        print(summary + " in " + String(format: "%.2f", seconds) + "s" + (rate.map { " (rate limit \($0)/s)" } ?? ""))
    }
}
