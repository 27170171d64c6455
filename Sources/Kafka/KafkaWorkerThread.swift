import Foundation

/// A dedicated thread running submitted jobs one at a time, in order.
///
/// Blocking librdkafka calls run here, never on the cooperative pool. The thread retains only
/// this control object and its jobs, never the client object, so a client's `deinit` can run.
final class KafkaWorkerThread: @unchecked Sendable {  // safe: `jobs` and `stopping` are guarded by `condition`
    typealias Job = @Sendable () -> Void
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopping = false
    private var finished = false

    init(name: String) {
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.start()
    }

    /// Adds a job; returns `false` once the thread is stopping.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Asks the thread to exit after the jobs already submitted (including `last`, run last).
    func stop(after last: Job? = nil) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return }
        if let last { jobs.append(last) }
        stopping = true
        condition.signal()
    }

    /// Runs `body` on the thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = submit { continuation.resume(with: Result { try body() }) }
            if !accepted { continuation.resume(throwing: KafkaError.closed("the Kafka client")) }
        }
    }

    /// Whether jobs are waiting; for long jobs that want to let them in (see ``runPending()``).
    var hasPending: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !jobs.isEmpty
    }

    /// Runs jobs waiting right now; called from inside a job on this thread only.
    func runPending() {
        condition.lock()
        // Once stopping, the queue ends with the job that destroys the handle: leave it to the loop.
        guard !stopping else {
            condition.unlock()
            return
        }
        let pending = jobs
        jobs.removeAll()
        condition.unlock()
        for job in pending { job() }
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                finished = true
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll()
            condition.unlock()
            for job in batch { job() }
        }
    }
}
