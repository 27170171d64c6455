import ArgumentParser
import Foundation
import Kafka
import Logging
import Topics

/// `choreo broker`: runs the embedded Kafka broker (librdkafka mock cluster).
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the embedded Kafka broker until interrupted; prints its bootstrap servers first."
    )

    @Option(help: "Number of brokers in the embedded cluster.")
    var brokers: Int = 1

    @Option(help: "Also write the bootstrap servers to this file.")
    var bootstrapFile: String?

    @Option(name: .customLong("topic"), help: "A topic to create, as name:partitions (repeatable).")
    var topics: [String] = []

    @Option(
        name: .customLong("topics"),
        help:
            "Create every topic declared in this directory (e.g. topics/), with its partition count, and the retry, dead-letter and replay topics derived from the consumers/ next to it."
    )
    var topicsDirectory: String?

    @OptionGroup var root: RootOptions

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1") }
        _ = try Self.parseTopics(topics)
    }

    /// Parses `name:partitions` (partitions default to 1).
    static func parseTopics(_ specs: [String]) throws -> [(String, Int)] {
        try specs.map { spec in
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw ValidationError("invalid --topic \(spec)") }
            guard parts.count == 2 else { return (name, 1) }
            guard let partitions = Int(parts[1]), partitions >= 1 else {
                throw ValidationError("invalid partition count in --topic \(spec)")
            }
            return (name, partitions)
        }
    }

    /// The topics to create at start; other sources (e.g. a topics/ directory) can add to it.
    func declaredTopics() throws -> [(name: String, partitions: Int)] {
        var declared = try Self.parseTopics(topics).map { (name: $0.0, partitions: $0.1) }
        if let topicsDirectory {
            let directory = URL(filePath: topicsDirectory, directoryHint: .isDirectory)
            let catalog = try TopicCatalog.load(directory: directory)
            let project = ProjectRoot(url: directory.deletingLastPathComponent())
            let topics =
                FileManager.default.fileExists(atPath: project.consumers.path)
                ? try ProjectTopics.all(catalog: catalog, root: project) : catalog.topics
            declared += topics.map { (name: $0.name, partitions: $0.partitions) }
        }
        return declared
    }

    func run() async throws {
        var logger = Logger(label: "choreo.broker")
        logger.logLevel = .warning
        let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        for topic in try declaredTopics() {
            try cluster.createTopic(topic.name, partitions: topic.partitions, replicationFactor: min(brokers, 3))
        }
        // Unbuffered write: a parent process reads this first line right away.
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        if let bootstrapFile {
            try (cluster.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
        }
        // Later commands in this project find the broker without --bootstrap-servers.
        let project = root.projectRoot
        try? DevState(bootstrapServers: cluster.bootstrapServers, pid: getpid(), startedAt: Date()).write(root: project)
        defer { DevState.remove(root: project, ifOwnedBy: getpid()) }
        FileHandle.standardError.write(
            Data("embedded Kafka broker running with \(brokers) broker(s); Ctrl-C to stop\n".utf8))
        let signal = await Self.waitForTermination()
        FileHandle.standardError.write(Data("received \(signal), stopping the embedded broker\n".utf8))
        cluster.shutdown()
    }

    /// Suspends until SIGINT or SIGTERM arrives; returns its name.
    static func waitForTermination() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "choreo.broker.signals")
            let once = SignalOnce(continuation)
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { once.resume(name) }
                source.resume()
                sources.append(source)
            }
            once.keep(sources)
        }
    }
}

/// Resumes the waiting continuation for the first signal only, and keeps the sources alive.
// Safe: all state is touched only on the serial signal queue or before the sources start
private final class SignalOnce: @unchecked Sendable {
    private var continuation: CheckedContinuation<String, Never>?
    private var sources: [DispatchSourceSignal] = []
    init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }
    func keep(_ sources: [DispatchSourceSignal]) { self.sources = sources }
    func resume(_ name: String) {
        continuation?.resume(returning: name)
        continuation = nil
    }
}
