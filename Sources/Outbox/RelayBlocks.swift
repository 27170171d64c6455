import Foundation

/// The active relay's blocked keys (`OutboxBlockedKey`): which rows the next reads leave
/// out, which blockers are due for another attempt, and their backoff.
///
/// A blocked key's rows are left out of every read except its blocker's, when due; a row
/// without a key blocks only itself. The first retry waits `initialBackoff`, each further
/// one twice as long, up to `maximumBackoff`.
struct RelayBlocks {
    struct Entry {
        var info: OutboxBlockedKey
        var due: ContinuousClock.Instant
        /// The blocker is in flight; it is not read again until its delivery report.
        var attempting = false
    }

    let initialBackoff: Duration
    let maximumBackoff: Duration
    private(set) var entries: [Int64: Entry] = [:]
    private var idByKey: [String: Int64] = [:]

    init(initialBackoff: Duration, maximumBackoff: Duration) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    var isEmpty: Bool { entries.isEmpty }
    var all: [OutboxBlockedKey] { entries.values.map(\.info).sorted { $0.blockerID < $1.blockerID } }

    /// Whether reads leave `row` out: a row of a blocked key, or a blocked row without a key.
    func isBlocked(id: Int64, key: String?) -> Bool {
        if let key { return idByKey[key] != nil }
        return entries[id] != nil
    }

    func entry(id: Int64) -> Entry? { entries[id] }

    /// Parameters of the read filter: every blocked key, every blocked row without a key, and
    /// the blockers due for an attempt now (read although their key is blocked).
    func filter(now: ContinuousClock.Instant) -> (keys: [String], keylessIDs: [Int64], dueIDs: [Int64]) {
        var keylessIDs: [Int64] = []
        var dueIDs: [Int64] = []
        for (id, entry) in entries {
            if entry.info.key == nil { keylessIDs.append(id) }
            if !entry.attempting && entry.due <= now { dueIDs.append(id) }
        }
        return (Array(idByKey.keys), keylessIDs, dueIDs)
    }

    mutating func beginAttempt(id: Int64) { entries[id]?.attempting = true }

    /// Records that `row` could not be published: a new block, or a failed retry of its
    /// blocker with the next backoff. Returns the block and whether it is new.
    mutating func recordFailure(
        id: Int64, key: String?, topic: String, eventType: String, code: String, reason: String
    ) -> (block: OutboxBlockedKey, isNew: Bool) {
        let now = Date()
        let attempts = (entries[id]?.info.attempts ?? 0) + 1
        let delay = backoff(afterAttempts: attempts)
        let info = OutboxBlockedKey(
            key: key, blockerID: id, topic: topic, eventType: eventType, code: code, reason: reason,
            since: entries[id]?.info.since ?? now, attempts: attempts,
            nextAttemptAt: now.addingTimeInterval(
                Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18))
        let isNew = entries[id] == nil
        entries[id] = Entry(info: info, due: .now + delay)
        if let key { idByKey[key] = id }
        return (info, isNew)
    }

    /// Removes the block of row `id` (delivered or gone); returns it.
    @discardableResult
    mutating func remove(id: Int64) -> OutboxBlockedKey? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        if let key = entry.info.key, idByKey[key] == id { idByKey[key] = nil }
        return entry.info
    }

    /// Blocks read from the database when the relay becomes active; each is due at once.
    mutating func load(_ blocks: [OutboxBlockedKey]) {
        for block in blocks {
            entries[block.blockerID] = Entry(info: block, due: .now)
            if let key = block.key { idByKey[key] = block.blockerID }
        }
    }

    func backoff(afterAttempts attempts: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(1, attempts) {
            delay = delay * 2
            if delay >= maximumBackoff { return maximumBackoff }
        }
        return min(delay, maximumBackoff)
    }
}
