/// The Kafka header names only Choreo itself may write: the CloudEvents attributes (`ce_*`,
/// `content-type`, `traceparent`), the retry and dead-letter bookkeeping (`retry_*`, `dlq_*`)
/// and anything `choreo_*`. Extra headers that a user or a foreign writer supplies must not use
/// them: they would override the envelope or forge retry and dead-letter state.
public enum ReservedHeaders {
    /// Exact reserved names.
    public static let names: Set<String> = ["content-type", "traceparent"]
    /// Reserved prefixes.
    public static let prefixes = ["ce_", "retry_", "dlq_", "choreo_"]

    /// Whether `name` is reserved (compared case-insensitively: Kafka header keys are bytes,
    /// but a reader lower-casing them must not be fooled).
    public static func isReserved(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return names.contains(lowered) || prefixes.contains { lowered.hasPrefix($0) }
    }
}
