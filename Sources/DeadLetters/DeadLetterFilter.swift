import Contracts
import Foundation
import Postgres

/// The filters of `choreo dlq list` and `replay --group`: all optional, combined with AND.
public struct DeadLetterFilter: Sendable, Equatable {
    public var group: String?
    public var reason: String?
    /// `order.placed` (any version) or `order.placed.v1`.
    public var type: String?
    public var key: String?
    public var status: DeadLetterStatus?
    public var since: Date?
    public var until: Date?
    /// Case-insensitive text searched in the error, key, event id, type and data.
    public var grep: String?
    public var limit: Int

    public init(
        group: String? = nil, reason: String? = nil, type: String? = nil, key: String? = nil,
        status: DeadLetterStatus? = nil, since: Date? = nil, until: Date? = nil, grep: String? = nil,
        limit: Int = 100
    ) {
        self.group = group
        self.reason = reason
        self.type = type
        self.key = key
        self.status = status
        self.since = since
        self.until = until
        self.grep = grep
        self.limit = limit
    }

    /// The WHERE clause and LIMIT; every value is a bound parameter.
    func query(selecting columns: String) -> PostgresQuery {
        let parsed = type.flatMap { EventType(parsing: $0) }
        let typeName = parsed?.name ?? type
        let typeVersion = parsed?.version
        let needle = grep?.lowercased()
        return """
            SELECT \(unsafeSQL: columns) FROM dead_letters
            WHERE (\(group)::text IS NULL OR consumer_group = \(group))
              AND (\(reason)::text IS NULL OR reason = \(reason))
              AND (\(typeName)::text IS NULL OR event_type = \(typeName))
              AND (\(typeVersion)::integer IS NULL OR event_version = \(typeVersion))
              AND (\(key)::text IS NULL OR key_text = \(key))
              AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
              AND (\(since)::timestamptz IS NULL OR failed_at >= \(since))
              AND (\(until)::timestamptz IS NULL OR failed_at < \(until))
              AND (\(needle)::text IS NULL OR strpos(lower(error), \(needle)) > 0
                   OR strpos(lower(coalesce(key_text, '')), \(needle)) > 0
                   OR strpos(lower(coalesce(event_id, '')), \(needle)) > 0
                   OR strpos(lower(coalesce(event_type, '')), \(needle)) > 0
                   OR strpos(lower(encode(coalesce(value, ''::bytea), 'escape')), \(needle)) > 0)
            ORDER BY id
            LIMIT \(limit)
            """
    }
}
