import CRdKafka
import Foundation
import Synchronization

/// Shared between a ``KafkaProducer`` and its poll thread; the thread retains this, not the producer.
final class ProducerPollControl: Sendable {
    enum Action { case poll, flush, stop }
    private struct FlushWaiter {
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Bool, Never>
    }
    private struct State {
        var stopRequested = false
        var finished = false
        var flushWaiters: [FlushWaiter] = []
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    var isStopping: Bool { state.withLock { $0.stopRequested || $0.finished } }

    func nextAction() -> Action {
        state.withLock { s in
            if s.stopRequested { return .stop }
            return s.flushWaiters.isEmpty ? .poll : .flush
        }
    }

    /// Waits until the queue is empty (`true`) or the deadline passed or the producer stopped (`false`).
    func waitForFlush(deadline: ContinuousClock.Instant, wake: () -> Void) async -> Bool {
        await withCheckedContinuation { continuation in
            let accepted = state.withLock { s in
                guard !s.finished && !s.stopRequested else { return false }
                s.flushWaiters.append(FlushWaiter(deadline: deadline, continuation: continuation))
                return true
            }
            if accepted { wake() } else { continuation.resume(returning: false) }
        }
    }

    /// Called by the poll thread after a flush slice.
    func settleFlushes(queueEmpty: Bool) {
        let now = ContinuousClock.now
        let ready: [(CheckedContinuation<Bool, Never>, Bool)] = state.withLock { s in
            var ready: [(CheckedContinuation<Bool, Never>, Bool)] = []
            s.flushWaiters.removeAll { waiter in
                if queueEmpty { ready.append((waiter.continuation, true)); return true }
                if waiter.deadline <= now { ready.append((waiter.continuation, false)); return true }
                return false
            }
            return ready
        }
        for (continuation, ok) in ready { continuation.resume(returning: ok) }
    }

    /// Requests the drain-and-stop; `true` if this call made the request.
    @discardableResult
    func requestStop() -> Bool {
        state.withLock { s in
            defer { s.stopRequested = true }
            return !s.stopRequested
        }
    }

    func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s in
                if s.finished { return true }
                s.shutdownWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    func markFinished(queueEmpty: Bool) {
        let (flushes, shutdowns) = state.withLock { s in
            s.finished = true
            defer { s.flushWaiters = []; s.shutdownWaiters = [] }
            return (s.flushWaiters, s.shutdownWaiters)
        }
        for waiter in flushes { waiter.continuation.resume(returning: queueEmpty) }
        for continuation in shutdowns { continuation.resume() }
    }
}

/// The producer poll thread's body: serves delivery reports until stopped, then drains
/// (flush, purge queue + in-flight, flush again) so every message gets its report, and destroys.
func producerPollLoop(handle: RDKafkaHandle, control: ProducerPollControl, shutdownTimeout: Duration) {
    let rk = handle.ownerPointer
    var purgedAfterFatal = false
    loop: while true {
        switch control.nextAction() {
        case .poll:
            rd_kafka_poll(rk, 100)
        case .flush:
            rd_kafka_flush(rk, 20)
            control.settleFlushes(queueEmpty: rd_kafka_outq_len(rk) == 0)
        case .stop:
            break loop
        }
        if !purgedAfterFatal && hasFatalError(rk) {
            // A fatal producer can deliver nothing more, and librdkafka may keep messages it
            // had in flight unreported: fail them all now, so every waiter learns of the
            // fatal error at once (their reports are marked fatal) instead of at shutdown.
            purgedAfterFatal = true
            _ = rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        }
    }
    rd_kafka_flush(rk, shutdownTimeout.timeoutMilliseconds)
    if rd_kafka_outq_len(rk) > 0 {
        let purged = rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        if purged != RD_KAFKA_RESP_ERR_NO_ERROR {
            handle.context.logger.warning("purge failed: \(String(cString: rd_kafka_err2str(purged)))")
        }
        // Serve the purged messages' reports so every waiter is answered and every ticket released.
        var rounds = 0
        while rd_kafka_outq_len(rk) > 0 && rounds < 100 {
            rd_kafka_flush(rk, 100)
            rounds += 1
        }
    }
    let empty = rd_kafka_outq_len(rk) == 0
    if !empty { handle.context.logger.error("producer shut down with \(rd_kafka_outq_len(rk)) unreported messages") }
    handle.destroy()
    control.markFinished(queueEmpty: empty)
}

/// Whether librdkafka raised a fatal error on this producer.
func hasFatalError(_ rk: OpaquePointer?) -> Bool {
    guard let rk else { return false }
    var buffer = [CChar](repeating: 0, count: 8)
    return rd_kafka_fatal_error(rk, &buffer, buffer.count) != RD_KAFKA_RESP_ERR_NO_ERROR
}
