import Contracts

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

    /// `1s`, `10s`, `1m`, `250ms`, `2h` — the suffix of retry topic names (`DurationText`).
    public static func format(_ delay: Duration) -> String { DurationText.format(delay) }

    /// Parses `250ms`, `1s`, `10s`, `1m`, `2h` (`DurationText`: overflow-checked, at most 10 years).
    public static func parse(_ text: String) -> Duration? { DurationText.parse(text) }
}
