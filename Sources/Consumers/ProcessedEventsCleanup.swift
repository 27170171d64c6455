import Postgres

/// Deletes `processed_events` rows older than a horizon, in chunks.
///
/// The horizon must exceed the retention of every topic the group reads (and the longest
/// time a dead letter may wait before replay): a redelivered event older than the horizon
/// would be applied again.
public struct ProcessedEventsCleanup: Sendable {
    public let group: String
    public let horizon: Duration
    public var chunkSize = 10_000

    public init(group: String, horizon: Duration) {
        self.group = group
        self.horizon = horizon
    }

    @discardableResult
    public func run(on connection: PostgresConnection) async throws -> Int {
        let seconds = Double(horizon.components.seconds)
        var total = 0
        while true {
            let deleted = try await connection.execute(
                """
                DELETE FROM processed_events WHERE consumer_group = \(group) AND event_id IN (
                    SELECT event_id FROM processed_events
                    WHERE consumer_group = \(group) AND processed_at < clock_timestamp() - make_interval(secs => \(seconds))
                    LIMIT \(chunkSize))
                """)
            total += deleted
            if deleted < chunkSize { return total }
        }
    }
}
