import ArgumentParser
import Consumers
import Contracts
import DeadLetters
import Foundation

/// The filters shared by `dlq list` and `dlq replay --group`.
struct DlqFilterOptions: ParsableArguments {
    @Option(help: "Only this consumer group.") var group: String?
    @Option(help: "Only this reason (contract-violation, undecodable, unknown-type, handler-error, …).")
    var reason: String?
    @Option(help: "Only this type: order.placed (any version) or order.placed.v1.") var type: String?
    @Option(help: "Only this partition key.") var key: String?
    @Option(help: "Only this status: pending, replayed, discarded or held.") var status: String?
    @Option(help: "Failed at or after: an RFC 3339 time, or an age like 30m, 2h, 7d.") var since: String?
    @Option(help: "Failed before: an RFC 3339 time, or an age like 30m, 2h, 7d.") var until: String?
    @Option(help: "Text searched (case-insensitive) in the error, key, event id, type and data.") var grep: String?
    @Option(help: "At most this many records.") var limit: Int?

    var isEmpty: Bool {
        group == nil && reason == nil && type == nil && key == nil && status == nil && since == nil && until == nil
            && grep == nil
    }

    /// The filter; `defaultLimit` when `--limit` is not given.
    func filter(defaultLimit: Int, defaultStatus: DeadLetterStatus? = nil, now: Date = Date()) throws
        -> DeadLetterFilter
    {
        var filter = DeadLetterFilter(
            group: group, reason: reason, type: type, key: key, grep: grep, limit: limit ?? defaultLimit)
        if let status {
            guard DeadLetterStatus.all.map(\.rawValue).contains(status) else {
                throw ValidationError("--status must be one of pending, replayed, discarded, held (got '\(status)')")
            }
            filter.status = DeadLetterStatus(status)
        } else {
            filter.status = defaultStatus
        }
        if let type, EventType(parsing: type) == nil && !EventType.isValidName(type) {
            throw ValidationError("--type expects a name like order.placed or a type like order.placed.v1")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        filter.since = try since.map { try Self.time($0, option: "--since", now: now) }
        filter.until = try until.map { try Self.time($0, option: "--until", now: now) }
        return filter
    }

    /// An RFC 3339 time, or an age (`30m`, `2h`, `7d`) before `now`.
    static func time(_ text: String, option: String, now: Date) throws -> Date {
        if let date = RFC3339.parse(text) { return date }
        if text.hasSuffix("d"), let days = Int(text.dropLast()), days > 0 {
            return now.addingTimeInterval(-Double(days) * 86_400)
        }
        if let age = RetryPolicy.parse(text) {
            return now.addingTimeInterval(-(Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18))
        }
        throw ValidationError(
            "\(option) expects an RFC 3339 time like 2026-11-27T10:00:00Z or an age like 30m, 2h, 7d (got '\(text.prefix(40))')"
        )
    }
}
