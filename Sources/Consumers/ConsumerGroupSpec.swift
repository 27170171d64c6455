import Contracts
import Foundation
import Yams

/// A consumer-group deployment: `consumers/<group>.yaml`.
///
/// ```yaml
/// group: notifications-service        # Kafka group id; the file name must match
/// service: notifications              # whose handlers run; its database is CHOREO_NOTIFICATIONS_DATABASE_URL
/// topics: [customers.events, orders.events]
/// handles:
///   - customer.registered.v1          # type and the version the handler wants
///   - order.confirmed.v1
/// instances: 2                        # consumer instances `choreo consumer run` starts
/// batchSize: 500
/// retry: { delays: [1s, 10s, 1m] }    # retry topics <group>.retry.<delay>; [] = none
/// deadLetterTopic: notifications-service.dlq
/// preserveKeyOrder: false             # per-key parking while an event of the key is retried
/// processedRetention: 30d             # keep processed-event ids this long (> topic retention)
/// limits: { maxMessageBytes: 1000000, maxHeaderCount: 64, maxHeaderBytes: 65536 }  # over them: `oversized`
/// deadLetters:                        # automatic re-drive by the dead-letter worker; none unless declared
///   redrive: { handler-error: { after: 10m, max: 3 } }
/// ```
public struct ConsumerGroupSpec: Sendable, Equatable, Codable {
    public struct Retry: Sendable, Equatable, Codable {
        public var delays: [String]
    }

    /// What the group accepts (`MessageLimits`); each bound defaults to `MessageLimits`'s.
    public struct Limits: Sendable, Equatable, Codable {
        public var maxMessageBytes: Int?
        public var maxHeaderCount: Int?
        public var maxHeaderBytes: Int?
    }

    public var group: String
    public var service: String
    public var topics: [String]
    public var handles: [String]
    public var instances: Int?
    public var batchSize: Int?
    public var retry: Retry?
    public var deadLetterTopic: String?
    public var preserveKeyOrder: Bool?
    public var processedRetention: String?
    public var limits: Limits?
    public var description: String?
    /// `deadLetters: { redrive: { <reason>: { after: 10m, max: 3 } } }`: automatic re-drive.
    public var deadLetters: DeadLetterSettings?

    /// Where it was loaded from, for messages.
    public var file: String = ""

    enum CodingKeys: String, CodingKey {
        case group, service, topics, handles, instances, batchSize, retry, deadLetterTopic, preserveKeyOrder
        case processedRetention, limits, description, deadLetters
    }

    /// The retry policy the spec declares (default 1s, 10s, 1m).
    public func retryPolicy() throws -> RetryPolicy {
        guard let retry else { return RetryPolicy() }
        return RetryPolicy(
            delays: try retry.delays.map { text in
                guard let delay = RetryPolicy.parse(text) else {
                    throw ConsumerError(
                        code: .specification,
                        message:
                            "\(file): retry.delays: '\(text.prefix(40))' is not a delay like 500ms, 1s, 10s, 1m, 2h (at most 3650 days)"
                    )
                }
                return delay
            })
    }

    /// The processed-event retention (default 30 days).
    public func retention() throws -> Duration {
        guard let text = processedRetention else { return .seconds(30 * 86_400) }
        guard let duration = DurationText.parse(text, units: DurationText.Unit.allCases) else {
            throw ConsumerError(
                code: .specification,
                message: "\(file): processedRetention: '\(text.prefix(40))' is not like 30d, 12h (at most 3650d)")
        }
        return duration
    }

    /// The message limits the spec declares.
    public func messageLimits() throws -> MessageLimits {
        var result = MessageLimits()
        guard let limits else { return result }
        func bound(_ value: Int?, _ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let value else { return nil }
            guard range.contains(value) else {
                throw ConsumerError(
                    code: .specification,
                    message: "\(file): limits.\(name) must be \(range.lowerBound)…\(range.upperBound), got \(value)")
            }
            return value
        }
        result.maxMessageBytes =
            try bound(limits.maxMessageBytes, "maxMessageBytes", 1_024...100_000_000) ?? result.maxMessageBytes
        result.maxHeaderCount = try bound(limits.maxHeaderCount, "maxHeaderCount", 1...10_000) ?? result.maxHeaderCount
        result.maxHeaderBytes =
            try bound(limits.maxHeaderBytes, "maxHeaderBytes", 64...10_000_000) ?? result.maxHeaderBytes
        return result
    }

    public var resolvedDeadLetterTopic: String { deadLetterTopic ?? RetryPolicy.deadLetterTopic(group: group) }

    /// Loads and checks one file.
    public static func load(_ url: URL) throws -> ConsumerGroupSpec {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConsumerError(
                code: .specification, message: "\(url.lastPathComponent): cannot read: \(error.localizedDescription)")
        }
        var spec: ConsumerGroupSpec
        do {
            spec = try YAMLDecoder().decode(ConsumerGroupSpec.self, from: text)
        } catch {
            throw ConsumerError(code: .specification, message: "\(url.lastPathComponent): \(error)")
        }
        spec.file = url.lastPathComponent
        try spec.check()
        return spec
    }

    /// Every `*.yaml`/`*.yml` in `directory`, sorted by group.
    public static func loadAll(_ directory: URL) throws -> [ConsumerGroupSpec] {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        let specs = try files.filter { ["yaml", "yml"].contains($0.pathExtension) }.map(load)
        var seen: [String: String] = [:]
        for spec in specs {
            if let other = seen[spec.group] {
                throw ConsumerError(
                    code: .specification, message: "group \(spec.group) is declared in both \(other) and \(spec.file)")
            }
            seen[spec.group] = spec.file
        }
        return specs.sorted { $0.group < $1.group }
    }

    func check() throws {
        func fail(_ message: String) -> ConsumerError {
            ConsumerError(code: .specification, message: "\(file): \(message)")
        }
        let legal = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !group.isEmpty, group.count <= 200, group.allSatisfy(legal.contains) else {
            throw fail("group must be 1–200 characters of [a-zA-Z0-9._-]")
        }
        let stem = (file as NSString).deletingPathExtension
        guard file.isEmpty || stem == group else { throw fail("the file must be named \(group).yaml") }
        guard !service.isEmpty else { throw fail("service must not be empty") }
        guard !topics.isEmpty else { throw fail("topics must list at least one topic") }
        guard !handles.isEmpty else { throw fail("handles must list at least one event type like order.placed.v1") }
        if let instances, !(1...64).contains(instances) { throw fail("instances must be 1…64") }
        if let batchSize, !(1...10_000).contains(batchSize) { throw fail("batchSize must be 1…10000") }
        _ = try retryPolicy()
        _ = try retention()
        _ = try messageLimits()
        _ = try redriveRules()
    }
}
