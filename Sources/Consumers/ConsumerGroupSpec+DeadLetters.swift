import Foundation

/// The `deadLetters:` section of a consumer-group spec.
///
/// ```yaml
/// deadLetters:
///   redrive:
///     handler-error: { after: 10m, max: 3 }
///     retries-exhausted: { after: 1h, max: 2 }
/// ```
public struct DeadLetterSettings: Sendable, Equatable, Codable {
    /// One reason's automatic re-drive: wait `after` since the failure, at most `max` times.
    public struct Redrive: Sendable, Equatable, Codable {
        public var after: String
        public var max: Int
    }

    /// Per `dlq_reason`.
    public var redrive: [String: Redrive]?
}

/// One validated re-drive rule.
public struct RedriveRule: Sendable, Equatable {
    public var delay: Duration
    public var maxRedrives: Int

    public init(delay: Duration, maxRedrives: Int) {
        self.delay = delay
        self.maxRedrives = maxRedrives
    }

    /// Reasons that re-driving can never fix: the same bytes fail the same way.
    public static let neverRedriven: Set<String> = ["contract-violation", "undecodable", "wrong-topic", "oversized"]
}

extension ConsumerGroupSpec {
    /// The declared re-drive rules by reason (none unless declared).
    /// - Throws: `ConsumerError` naming the field when a rule is malformed or names a reason
    ///   that is never re-driven.
    public func redriveRules() throws -> [String: RedriveRule] {
        var rules: [String: RedriveRule] = [:]
        for (reason, rule) in deadLetters?.redrive ?? [:] {
            let field = "\(file): deadLetters.redrive.\(reason)"
            guard !RedriveRule.neverRedriven.contains(reason) else {
                throw ConsumerError(
                    code: .specification,
                    message: "\(field): \(reason) is never re-driven (the same message fails the same way); remove it")
            }
            guard let delay = RetryPolicy.parse(rule.after) else {
                throw ConsumerError(
                    code: .specification, message: "\(field).after: '\(rule.after)' is not a delay like 30s, 10m, 1h")
            }
            guard (1...100).contains(rule.max) else {
                throw ConsumerError(code: .specification, message: "\(field).max: must be 1…100")
            }
            rules[reason] = RedriveRule(delay: delay, maxRedrives: rule.max)
        }
        return rules
    }
}
