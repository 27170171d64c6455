import Foundation

/// The dedicated thread that owns one `PGconn`: every libpq call of the connection runs
/// here, never on the Swift cooperative pool.
///
/// It is also a `TaskExecutor`: code that runs under
/// `withTaskExecutorPreference(connection.executor)` (the consumer runtime's batch
/// transaction does) executes on this thread, so its statements call libpq directly
/// instead of hopping threads twice per statement. Blocking there blocks only this
/// connection's thread.
public final class ConnectionExecutor: TaskExecutor, @unchecked Sendable {
    // Safe: `work` and `stopped` are only touched while holding `condition`; the thread
    // itself is started once in `init` and never replaced.
    private enum Work {
        case job(UnownedJob)
        case block(@Sendable () -> Void)
    }

    private let condition = NSCondition()
    private var work: [Work] = []
    private var head = 0
    private var stopped = false
    /// The thread's id, set before the first job runs and never changed.
    private var threadID: pthread_t?

    init(name: String) {
        // The thread keeps the executor alive until `stop()` lets its loop end; the executor
        // keeps no reference to the thread, so nothing leaks.
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        condition.lock()
        thread.start()
        while threadID == nil { condition.wait() }
        condition.unlock()
    }

    /// Whether the caller runs on this executor's thread.
    var isCurrent: Bool {
        guard let threadID else { return false }
        return pthread_equal(pthread_self(), threadID) != 0
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    /// Runs `block` on the thread, after everything enqueued before it.
    func async(_ block: @escaping @Sendable () -> Void) {
        push(.block(block))
    }

    /// Stops the thread once the work enqueued so far is done.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func push(_ item: Work) {
        condition.lock()
        work.append(item)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        threadID = pthread_self()
        condition.broadcast()
        condition.unlock()
        while true {
            condition.lock()
            while head == work.count && !stopped { condition.wait() }
            if head == work.count && stopped {
                condition.unlock()
                return
            }
            let item = work[head]
            head += 1
            // Taken items leave the array at once when it empties (and in bulk when a busy
            // queue never empties): a finished block must not keep what it captured — the
            // connection itself — alive, or the connection and this thread never end.
            if head == work.count {
                work.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 1024 && head * 2 > work.count {
                work.removeFirst(head)
                head = 0
            }
            condition.unlock()
            switch item {
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case .block(let block): block()
            }
        }
    }
}
