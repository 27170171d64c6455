/// What a relay batch's delivery results mean for the rows: the pure rule that keeps
/// per-key order.
///
/// Rule: for each partition key, the rows delivered *before* the key's first failure
/// are done; the failed row and every later row of the same key stay in the outbox
/// for the next attempt, even when a later one was delivered (it is then published
/// again, with the same `ce_id`, which consumers drop). With an idempotent producer,
/// an infinite message timeout and `enable.gapless.guarantee`, failures within a
/// partition are a suffix, so this never reorders first arrivals; it only turns a
/// possible gap into a duplicate.
struct OutboxDeliveryOutcome: Equatable, Sendable {
    /// Row ids that are done: delete (or mark delivered) exactly these.
    var delivered: [Int64]
    /// Row ids that stay for the next attempt.
    var retained: [Int64]

    /// - Parameters:
    ///   - rows: the batch in id order, as `(id, key)`.
    ///   - succeeded: whether the delivery of `rows[i]` succeeded.
    init(rows: [(id: Int64, key: String?)], succeeded: [Bool]) {
        var blocked: Set<String> = []
        self.init(rows: rows, succeeded: succeeded, blockedKeys: &blocked)
    }

    /// The rule over consecutive batches of one pipeline run: keys blocked by a failure in
    /// an earlier batch stay blocked in later ones.
    init(rows: [(id: Int64, key: String?)], succeeded: [Bool], blockedKeys: inout Set<String>) {
        precondition(rows.count == succeeded.count, "one result per row")
        var delivered: [Int64] = []
        var retained: [Int64] = []
        delivered.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            // Rows without a key are spread over partitions and promise no order among
            // themselves; each stands alone.
            let blocked: Bool
            if let key = row.key {
                blocked = blockedKeys.contains(key)
                if !succeeded[index] { blockedKeys.insert(key) }
            } else {
                blocked = false
            }
            if succeeded[index] && !blocked {
                delivered.append(row.id)
            } else {
                retained.append(row.id)
            }
        }
        self.delivered = delivered
        self.retained = retained
    }
}
