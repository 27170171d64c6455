/// The libpq `options` startup parameter Choreo sends: server settings (`-c name=value`)
/// for the session.
///
/// Three parts, in this order, because for a setting given twice the server keeps the last:
/// 1. Choreo's defaults (timeouts, server-side keepalives): a URL's own options may
///    override them (`?options=-c%20statement_timeout%3D0`).
/// 2. The URL's own `options` (e.g. `-c search_path=app`), passed through unchanged.
/// 3. The settings Choreo's decoding depends on (`TimeZone=UTC`, ISO date and interval
///    styles, exact floats): last, so nothing overrides them.
struct PostgresServerOptions: Sendable {
    /// The settings the client decodes text results with.
    static let required: [(String, String)] = [
        ("TimeZone", "UTC"), ("DateStyle", "ISO"), ("IntervalStyle", "iso_8601"), ("extra_float_digits", "3"),
    ]

    var defaults: [(String, String)] = []
    var passedThrough: String?

    /// `-c a=1 -c b=2 <passed through> -c TimeZone=UTC …`.
    var text: String {
        var parts = defaults.map { "-c \($0.0)=\($0.1)" }
        if let passedThrough, !passedThrough.allSatisfy(\.isWhitespace) { parts.append(passedThrough) }
        parts += Self.required.map { "-c \($0.0)=\($0.1)" }
        return parts.joined(separator: " ")
    }

    /// A duration in whole milliseconds, at least 1 (0 would mean "no limit" to the server).
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return Int64.max }
        return max(1, total.partialValue + attoseconds / 1_000_000_000_000_000)
    }

    /// A duration in whole seconds, rounded up, at least 1.
    static func seconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }
}
