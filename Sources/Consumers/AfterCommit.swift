import Synchronization

/// Actions handlers registered with `HandlerContext.afterCommit`, run once the batch's
/// transaction has committed, and dropped with any attempt that did not commit: an
/// optimistic batch rolled back and redone with savepoints, or one event's savepoint
/// rolled back. So each action runs once per committed effect.
final class AfterCommitActions: Sendable {
    private let actions = Mutex<[@Sendable () -> Void]>([])

    /// The collector of the transaction attempt running in this task, if any.
    @TaskLocal static var current: AfterCommitActions?

    func add(_ action: @escaping @Sendable () -> Void) { actions.withLock { $0.append(action) } }

    /// Moves `other`'s actions here (its savepoint was released).
    func absorb(_ other: AfterCommitActions) {
        let moved = other.actions.withLock { actions in
            defer { actions = [] }
            return actions
        }
        actions.withLock { $0 += moved }
    }

    /// Runs the actions, in registration order, once.
    func run() {
        let pending = actions.withLock { actions in
            defer { actions = [] }
            return actions
        }
        for action in pending { action() }
    }
}
