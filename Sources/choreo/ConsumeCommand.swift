import ArgumentParser
import Contracts
import Foundation
import Kafka
import Logging

/// `choreo consume`: prints decoded events as JSON lines, for people and scripts.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's events as JSON lines (headers, CloudEvents attributes and data).",
        discussion: """
            Without --group, reads without a consumer group (nothing is committed). With
            --group, joins that group and commits what it printed. Stops after --max events,
            or after --idle seconds without a message when --max is not given and stdin is not a terminal.
            """
    )

    @OptionGroup var root: RootOptions
    @OptionGroup var kafka: KafkaOptions

    @Argument(help: "The topic.")
    var topic: String

    @Option(help: "Consumer group to join and commit in (default: none).")
    var group: String?

    @Flag(help: "Start at the beginning of every partition (default: only new events).")
    var fromBeginning = false

    @Option(help: "Stop after this many events.")
    var max: Int?

    @Option(help: "Stop after this many seconds without a message (default: run until interrupted).")
    var idle: Double?

    func validate() throws {
        if let max, max < 1 { throw ValidationError("--max must be at least 1") }
        if let idle, DurationText.seconds(idle) == nil {
            throw ValidationError("--idle must be a positive, finite number of seconds (at most 3650 days)")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let client = try kafka.configuration(root: root.projectRoot)
        var configuration = KafkaConsumerConfiguration(client: client, groupID: group ?? "choreo-consume-\(UUID())")
        configuration.autoOffsetReset = fromBeginning ? .earliest : .latest
        let consumer = try KafkaConsumer(configuration: configuration)
        if group != nil {
            try consumer.subscribe(topics: [topic])
        } else {
            let admin = try KafkaAdmin(configuration: client)
            let metadata = try await admin.metadata(timeout: .seconds(10))
            guard let described = metadata.topic(topic) else {
                throw CLI.failure(
                    1, "topic '\(topic)' does not exist on \(client.bootstrapServers.joined(separator: ","))")
            }
            var start: [KafkaTopicPartitionOffset] = []
            for partition in described.partitions {
                let marks = try await admin.watermarks(topic: topic, partition: partition.id, timeout: .seconds(10))
                start.append(
                    KafkaTopicPartitionOffset(
                        topic: topic, partition: partition.id, offset: fromBeginning ? marks.low : marks.high))
            }
            try consumer.assign(start)
        }
        var printed = 0
        var lastMessage = ContinuousClock.now
        let idleLimit = idle.flatMap(DurationText.seconds)
        while max.map({ printed < $0 }) ?? true {
            let batch = try await consumer.poll(
                maxMessages: min(500, (max ?? 500) - printed), timeout: .milliseconds(200))
            if batch.isEmpty {
                if let idleLimit, ContinuousClock.now - lastMessage >= idleLimit { break }
                continue
            }
            lastMessage = .now
            // Written unbuffered, so a pipe reader sees each batch at once.
            FileHandle.standardOutput.write(Data(batch.map { EventLine.render($0) + "\n" }.joined().utf8))
            printed += batch.count
            if group != nil {
                try await consumer.commit(
                    Dictionary(grouping: batch) { KafkaTopicPartition(topic: $0.topic, partition: $0.partition) }
                        .map {
                            KafkaTopicPartitionOffset(
                                topic: $0.key.topic, partition: $0.key.partition,
                                offset: ($0.value.map(\.offset).max() ?? 0) + 1)
                        })
            }
        }
        await consumer.close()
    }
}

/// One consumed message as a JSON object: where it came from, its CloudEvents attributes
/// (or why they do not decode), other headers, and its data.
enum EventLine {
    static func render(_ message: KafkaConsumerMessage) -> String {
        var object: [String: Any] = [
            "topic": message.topic, "partition": message.partition, "offset": message.offset,
        ]
        if let key = message.key { object["key"] = String(decoding: key, as: UTF8.self) }
        if let timestamp = message.timestamp {
            object["timestamp"] = timestamp.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        var headers: [String: Any] = [:]
        for header in message.headers {
            headers[header.key] =
                header.value.map { String(validating: $0, as: UTF8.self) ?? "base64:" + Data($0).base64EncodedString() }
                ?? NSNull()
        }
        object["headers"] = headers
        do {
            let envelope = try EventEnvelope(kafkaHeaders: message.headers)
            object["id"] = envelope.id.uuidString.lowercased()
            object["type"] = envelope.type.description
            object["source"] = envelope.source
        } catch {
            object["envelope_error"] = "\(error)"
        }
        if let value = message.value {
            if let json = try? JSONSerialization.jsonObject(with: Data(value), options: [.fragmentsAllowed]) {
                object["data"] = json
            } else {
                object["data_base64"] = Data(value).base64EncodedString()
            }
        } else {
            object["data"] = NSNull()
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
