/// A SQL statement with its parameters. Every interpolated value becomes a `$n`
/// placeholder and a bound parameter — never part of the SQL text:
///
/// ```swift
/// let query: PostgresQuery = "SELECT * FROM orders WHERE id = \(id) AND status = \(status)"
/// // sql: "SELECT * FROM orders WHERE id = $1 AND status = $2", binds: [id, status]
/// ```
///
/// SQL text that is not a value (an identifier validated by the caller) must be spelled
/// `\(unsafeSQL: name)`; whole statements without parameters, `PostgresQuery(unsafeSQL:)`.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text with `$1…$n` placeholders.
    public var sql: String
    /// The bound values, in placeholder order; `nil` is NULL.
    public var binds: [String?]

    public init(unsafeSQL sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// The SQL only: values are never printed.
    public var description: String { sql }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql.append(literal)
        }

        /// A bound parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value.postgresText)
            sql.append("$\(binds.count)")
        }

        /// A bound parameter that may be NULL.
        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            binds.append(value?.postgresText)
            sql.append("$\(binds.count)")
        }

        /// Raw SQL text (identifiers the caller validated). Never pass input here.
        public mutating func appendInterpolation(unsafeSQL text: String) {
            sql.append(text)
        }
    }
}
