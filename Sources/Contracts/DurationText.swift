/// The one parser and formatter of durations written as text in specs, topic names and flags:
/// a positive integer and a unit — `250ms`, `10s`, `1m`, `2h`, `30d` — at most
/// `DurationText.maximum` (10 years), so that no later arithmetic on it can overflow.
public enum DurationText {
    /// The longest duration accepted: 3650 days.
    public static let maximum: Duration = .seconds(3650 * 86_400)
    private static let maximumMilliseconds: Int64 = 3650 * 86_400_000

    /// A unit of `parse`.
    public enum Unit: String, Sendable, CaseIterable {
        case milliseconds = "ms", seconds = "s", minutes = "m", hours = "h", days = "d"

        var milliseconds: Int64 {
            switch self {
            case .milliseconds: return 1
            case .seconds: return 1000
            case .minutes: return 60_000
            case .hours: return 3_600_000
            case .days: return 86_400_000
            }
        }
    }

    /// Parses `<positive integer><unit>` with one of `units`; nil when malformed, zero, or
    /// longer than `maximum`.
    public static func parse(_ text: String, units: [Unit] = [.milliseconds, .seconds, .minutes, .hours])
        -> Duration?
    {
        milliseconds(text, units: units).map { .milliseconds($0) }
    }

    /// `parse` in milliseconds.
    public static func milliseconds(_ text: String, units: [Unit] = [.milliseconds, .seconds, .minutes, .hours])
        -> Int64?
    {
        // `ms` before `s` and `m`: the longest suffix wins.
        for unit in units.sorted(by: { $0.rawValue.count > $1.rawValue.count }) where text.hasSuffix(unit.rawValue) {
            let digits = text.dropLast(unit.rawValue.count)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), let number = Int64(digits),
                number > 0
            else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: unit.milliseconds)
            guard !overflow, product <= maximumMilliseconds else { return nil }
            return product
        }
        return nil
    }

    /// `1s`, `10s`, `1m`, `250ms`, `2h`: the largest unit that divides the duration exactly.
    public static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms != 0 && ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms != 0 && ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms != 0 && ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    /// Seconds given as a command-line number (`--idle 2.5`): finite, positive and at most
    /// `maximum`; nil otherwise.
    public static func seconds(_ value: Double) -> Duration? {
        guard value.isFinite, value > 0, value <= Double(maximumMilliseconds / 1000) else { return nil }
        return .milliseconds(Int64((value * 1000).rounded(.up)))
    }
}
