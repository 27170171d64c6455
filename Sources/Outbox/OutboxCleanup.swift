import Postgres

/// Deletes delivered rows kept for audit once they are older than the retention.
public struct OutboxCleanup: Sendable {
    public let schema: OutboxSchema
    public let keepDelivered: Duration
    /// Rows deleted per statement, so a large cleanup never holds long locks.
    public var chunkSize: Int = 10_000

    public init(schema: OutboxSchema = .standard, keepDelivered: Duration) {
        self.schema = schema
        self.keepDelivered = keepDelivered
    }

    /// Deletes every delivered row older than the retention. Returns how many.
    @discardableResult
    public func run(on connection: PostgresConnection) async throws -> Int {
        let seconds =
            Double(keepDelivered.components.seconds)
            + Double(keepDelivered.components.attoseconds) / 1e18
        var total = 0
        while true {
            let deleted = try await connection.execute(
                """
                DELETE FROM \(unsafeSQL: schema.table) WHERE id IN (
                    SELECT id FROM \(unsafeSQL: schema.table)
                    WHERE delivered_at IS NOT NULL AND delivered_at < clock_timestamp() - make_interval(secs => \(seconds))
                    LIMIT \(chunkSize))
                """
            )
            total += deleted
            if deleted < chunkSize { return total }
        }
    }
}
