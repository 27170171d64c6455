/// Non-blocking retries through retry topics: attempt n (1-based) that fails is
/// republished to `<group>.retry.<delays[n-1]>`, consumed again once due; after the last
/// delay the event is dead-lettered with `retries-exhausted`.
public struct RetryPolicy: Sendable, Equatable {
    /// Delays before each retry. Empty: no retries, failures go straight to the dead-letter topic.
    public var delays: [Duration]

    /// The default: 1 s, 10 s, 1 min.
    public init(delays: [Duration] = [.seconds(1), .seconds(10), .seconds(60)]) {
        self.delays = delays
    }

    /// Total attempts, the first included.
    public var maxAttempts: Int { delays.count + 1 }

    /// The retry topic of `group` for the delay at `index`.
    public static func retryTopic(group: String, delay: Duration) -> String {
        "\(group).retry.\(format(delay))"
    }

    /// The dead-letter topic of `group`.
    public static func deadLetterTopic(group: String) -> String { "\(group).dlq" }

    /// The replay topic of `group`: replayed dead letters that only this group consumes.
    public static func replayTopic(group: String) -> String { "\(group).replay" }

    /// `1s`, `10s`, `1m`, `250ms`, `2h` — the suffix of retry topic names.
    public static func format(_ delay: Duration) -> String {
        let ms = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    /// Parses `250ms`, `1s`, `10s`, `1m`, `2h`.
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast(suffix.count)), number > 0 else { continue }
            return .milliseconds(number * factor)
        }
        return nil
    }
}
