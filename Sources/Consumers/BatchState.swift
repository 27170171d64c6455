import Foundation
import Synchronization

/// What one transaction attempt of a batch prepares once for all its events — the fresh
/// ids (the single processed-events statement), the blocked keys (the single blocked-keys
/// read), the failures known from the optimistic attempt — and what the per-event layers
/// record as they go. The layers reach it through ``EventCall``.
final class BatchState: Sendable {
    /// What the layers counted in this attempt.
    struct Counts: Sendable {
        var duplicates = 0
        var parked = 0
        /// Parked events released and applied after their blocker succeeded.
        var releasedHandled = 0
        /// Released events that failed (their publication is recorded in `parked_publications`).
        var releasedFailures: [UUID] = []
    }

    private struct Mutable {
        var done = Set<UUID>()
        var blocked: [String: UUID]
        var counts = Counts()
    }

    let transaction: BatchTransaction
    /// The optimistic batch's outbox buffer (`nil` in a savepoint batch).
    let buffer: OutboxBuffer?
    /// Failures of the optimistic attempt, by event: not called again in the savepoint redo.
    let knownFailures: [UUID: BatchTransaction.HandlerFailed]
    private let fresh: Set<UUID>
    private let state: Mutex<Mutable>

    init(
        transaction: BatchTransaction, buffer: OutboxBuffer?, fresh: Set<UUID>, blocked: [String: UUID],
        knownFailures: [UUID: BatchTransaction.HandlerFailed]
    ) {
        self.transaction = transaction
        self.buffer = buffer
        self.fresh = fresh
        self.knownFailures = knownFailures
        state = Mutex(Mutable(blocked: blocked))
    }

    /// Whether `id` is new to the group and its first occurrence in the batch (then it is
    /// claimed: a later occurrence is a duplicate).
    func claim(_ id: UUID) -> Bool {
        guard fresh.contains(id) else { return false }
        return state.withLock { $0.done.insert(id).inserted }
    }

    /// The event that blocks `key`, if any.
    func blocker(of key: String) -> UUID? { state.withLock { $0.blocked[key] } }

    func setBlocker(of key: String, to id: UUID?) { state.withLock { $0.blocked[key] = id } }

    var counts: Counts { state.withLock { $0.counts } }

    func count(_ update: (inout Counts) -> Void) { state.withLock { update(&$0.counts) } }
}
