import Foundation

/// A partition key the relay cannot publish: its oldest pending row (the *blocker*) cannot
/// become a Kafka message or was refused permanently. The key's later rows wait behind it,
/// unpublished, so per-key order holds; other keys flow. The relay retries the blocker with
/// backoff, and the key flows again once it is delivered (fixed in place, or deleted by an
/// operator). Rows without a key block only themselves.
public struct OutboxBlockedKey: Sendable, Equatable {
    /// The partition key; `nil` for a row without a key (it blocks only itself).
    public var key: String?
    /// The `id` of the row that blocks the key.
    public var blockerID: Int64
    public var topic: String
    public var eventType: String
    /// Why, as a stable code: `too-large`, `malformed-row`, `undeclared-topic`, `unknown-topic`
    /// or `delivery-refused`.
    public var code: String
    /// A description without payloads or secrets.
    public var reason: String
    public var since: Date
    /// Attempts so far (the first included).
    public var attempts: Int
    public var nextAttemptAt: Date

    public init(
        key: String?, blockerID: Int64, topic: String, eventType: String, code: String, reason: String, since: Date,
        attempts: Int, nextAttemptAt: Date
    ) {
        self.key = key
        self.blockerID = blockerID
        self.topic = topic
        self.eventType = eventType
        self.code = code
        self.reason = reason
        self.since = since
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
    }
}
