import Contracts
import Foundation
import Kafka
import Tracing

/// Replays stored dead letters: checks every record first (destination declared and
/// carrying the type, `--yes`, retention, edited data against the contract) and refuses the
/// whole request before publishing anything if one fails; then, per record, writes the
/// audit entry, publishes, and marks the record `replayed`. Replaying a record again is
/// harmless (consumers skip a `ce_id` they applied) and is audited again.
public struct DeadLetterReplayer: Sendable {
    public let store: DeadLetterStore
    public let destinations: ReplayDestinations
    public let registry: ContractRegistry
    /// Nil only for dry runs.
    public let producer: KafkaProducer?

    public init(
        store: DeadLetterStore, destinations: ReplayDestinations, registry: ContractRegistry, producer: KafkaProducer?
    ) {
        self.store = store
        self.destinations = destinations
        self.registry = registry
        self.producer = producer
    }

    /// Checks `records` against `options`; returns each record's destination.
    /// - Throws: the first `DeadLetterError` that refuses the request.
    public func check(_ records: [DeadLetterRecord], options: ReplayOptions) throws -> [(DeadLetterRecord, String)] {
        if options.toOriginalTopic && !options.confirmed {
            throw DeadLetterError(
                code: .refused,
                message:
                    "--to-topic replays to the original topic, which every subscribed group reads; add --yes to confirm"
            )
        }
        if let rate = options.rate, !(rate > 0) {
            throw DeadLetterError(code: .invalidInput, message: "--rate must be a number of messages per second > 0")
        }
        if let data = options.editedData {
            guard records.count == 1, let record = records.first else {
                throw DeadLetterError(
                    code: .refused, message: "--edit replaces the data of exactly one record (give one ID)")
            }
            try validate(data, of: record)
        }
        if options.editedData == nil, let cut = records.first(where: { $0.truncation != nil }),
            let truncation = cut.truncation
        {
            throw DeadLetterError(
                code: .refused,
                message:
                    "record \(cut.id) is a cut-down dead letter: it keeps only the first \(cut.value?.count ?? 0) of \(truncation.originalSize) bytes (original SHA-256 \(truncation.originalSHA256)); replay it alone with --edit and the full data"
            )
        }
        return try records.map { record in
            (
                record,
                try destinations.destination(of: record, toOriginalTopic: options.toOriginalTopic, force: options.force)
            )
        }
    }

    /// Checks, then replays; `progress(done, total)` is called after each record.
    public func replay(
        _ records: [DeadLetterRecord], options: ReplayOptions, progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> [ReplayOutcome] {
        var seen: Set<Int64> = []
        let planned = try check(records.filter { seen.insert($0.id).inserted }, options: options)
        if options.dryRun {
            return planned.map { ReplayOutcome(recordID: $0.0.id, destination: $0.1, published: false, replayID: nil) }
        }
        guard let producer else {
            throw DeadLetterError(code: .invalidInput, message: "a replay that publishes needs a Kafka producer")
        }
        var outcomes: [ReplayOutcome] = []
        let tracing = TraceContextPropagation.isTracing
        let start = ContinuousClock.now
        let chunkSize = options.rate == nil ? 500 : 1
        var index = 0
        while index < planned.count {
            let chunk = planned[index..<min(index + chunkSize, planned.count)]
            if let rate = options.rate {
                try await Task.sleep(until: start + .seconds(Double(index) / rate), clock: .continuous)
            }
            let audits = try await store.beginReplays(
                chunk.map {
                    DeadLetterStore.ReplayStart(recordID: $0.0.id, detail: detail($0.0, topic: $0.1, options: options))
                },
                actor: options.actor, action: options.automatic ? "redrive" : "replay")
            var messages: [KafkaProducerMessage] = []
            var spans: [any Span] = []
            for (record, topic) in chunk {
                guard let replayID = audits[record.id] else {
                    for span in spans { span.fail(message: "not published: the request failed") }
                    throw DeadLetterError(code: .notFound, message: "no dead letter with id \(record.id)")
                }
                var message = ReplayMessage.make(record, topic: topic, replayID: replayID, data: options.editedData)
                if tracing {
                    let span = Self.replaySpan(record, topic: topic, replayID: replayID, options: options)
                    message.headers = TraceContextPropagation.headers(message.headers, continuingFrom: span)
                    spans.append(span)
                }
                messages.append(message)
            }
            let results = await producer.sendBatch(messages)
            for (span, result) in zip(spans, results) { span.end(delivery: result) }
            var done: [DeadLetterStore.ReplayDone] = []
            var failure: (DeadLetterRecord, String, Int64, KafkaError)?
            for ((record, topic), result) in zip(chunk, results) {
                let replayID = audits[record.id] ?? 0
                switch result {
                case .success(let report):
                    done.append(
                        DeadLetterStore.ReplayDone(
                            recordID: record.id, auditID: replayID,
                            outcome:
                                "published to \(topic)[\(report.partition)]@\(report.offset); a group that already applied this ce_id skips it"
                        ))
                    outcomes.append(
                        ReplayOutcome(recordID: record.id, destination: topic, published: true, replayID: replayID))
                case .failure(let error):
                    try await store.setOutcome(replayID, "failed: \(error)")
                    if failure == nil { failure = (record, topic, replayID, error) }
                }
            }
            try await store.completeReplays(done, automatic: options.automatic, editedData: options.editedData)
            DeadLetterReplayMetrics.record(published: done.count, failed: chunk.count - done.count, options: options)
            progress(outcomes.count, planned.count)
            if let (record, topic, _, error) = failure {
                throw DeadLetterError(
                    code: .publishFailed,
                    message: "record \(record.id): publishing to \(topic) failed; \(outcomes.count) replayed",
                    underlying: error)
            }
            index += chunk.count
        }
        return outcomes
    }

    /// The `dead-letter replay` span of one record (kind producer): a child of the trace
    /// context the dead letter stored (the original event's), linked to it, so the whole story
    /// keeps one trace id; the replayed message carries this span's `traceparent`.
    private static func replaySpan(_ record: DeadLetterRecord, topic: String, replayID: Int64, options: ReplayOptions)
        -> any Span
    {
        var attributes = SpanAttributes()
        attributes["messaging.system"] = "kafka"
        attributes["messaging.operation.type"] = "send"
        attributes["messaging.operation.name"] = "dlq.replay"
        attributes["messaging.destination.name"] = topic
        if let eventID = record.eventID {
            attributes["messaging.message.id"] = eventID
            attributes["cloudevents.event_id"] = eventID
        }
        if let type = record.fullType { attributes["cloudevents.event_type"] = type.description }
        attributes["choreo.dead_letter.id"] = record.id
        attributes["choreo.dead_letter.group"] = record.group
        attributes["choreo.dead_letter.reason"] = record.reason
        attributes["choreo.dead_letter.replay_id"] = replayID
        attributes["choreo.dead_letter.replay_count"] = record.replayCount + 1
        attributes["choreo.dead_letter.action"] = options.automatic ? "redrive" : "replay"
        if options.editedData != nil { attributes["choreo.dead_letter.edited"] = true }
        return TraceContextPropagation.startSpan(
            "dead-letter replay \(topic)", continuingHeaders: record.eventHeaders, ofKind: .producer,
            attributes: attributes)
    }

    private func validate(_ data: [UInt8], of record: DeadLetterRecord) throws {
        guard let type = record.fullType, registry.contract(for: type) != nil else {
            throw DeadLetterError(
                code: .contractViolation,
                message:
                    "record \(record.id): no contract for \(record.fullType?.description ?? "its type") to check --edit against"
            )
        }
        let document: JSONValue
        do { document = try JSONValue(parsing: data) } catch {
            throw DeadLetterError(code: .contractViolation, message: "--edit: not JSON: \(error)")
        }
        let problems = registry.validate(document, as: type)
        guard problems.isEmpty else {
            throw DeadLetterError(
                code: .contractViolation,
                message: "--edit does not satisfy \(type): "
                    + problems.prefix(5).map { "\($0)" }.joined(separator: "; "))
        }
    }

    private func detail(_ record: DeadLetterRecord, topic: String, options: ReplayOptions) -> JSONObject {
        var detail = JSONObject([
            ("destination", .string(topic)), ("replayCount", .number(.int(Int64(record.replayCount + 1)))),
            ("toOriginalTopic", .bool(options.toOriginalTopic)),
        ])
        if options.editedData != nil {
            let original = record.value.flatMap { String(validating: $0, as: UTF8.self) }
            detail["originalData"] = original.map { .string($0) } ?? .null
            detail["editedData"] = options.editedData.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        }
        if options.force { detail["force"] = .bool(true) }
        return detail
    }
}
