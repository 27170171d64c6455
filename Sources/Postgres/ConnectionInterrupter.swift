import Foundation
import Synchronization

/// Gets a connection's thread out of a call the server does not answer: sends a cancel
/// request (`PQcancel`) and shuts the socket down, so the blocked libpq call returns with
/// a lost connection instead of waiting forever.
///
/// Two triggers: a call that has waited longer than the configuration's `responseTimeout`
/// (seen by `ConnectionWatchdog`), and `PostgresConnection.close()` while a call runs (the
/// socket is shut after `closeGrace` if the cancel did not end the call by then).
final class ConnectionInterrupter: Sendable {
    fileprivate struct State {
        var socket: Int32
        /// Set (with the lock held) just before `PQfinish` closes the socket: from then on
        /// the descriptor number may belong to another file and is never touched.
        var finished = false
        var depth = 0
        var deadline: ContinuousClock.Instant?
        var cancelSent = false
        var shutDown = false
        var timedOut = false
        /// Whether the watchdog holds it now.
        var watched = false
    }

    private let state: Mutex<State>
    private let cancel: CancelRequest?
    let responseTimeout: Duration?

    init(socket: Int32, cancel: CancelRequest?, responseTimeout: Duration?) {
        state = Mutex(State(socket: socket))
        self.cancel = cancel
        self.responseTimeout = responseTimeout
    }

    /// A call starts on the connection's thread (calls may nest).
    func begin() {
        let now = ContinuousClock.now
        let watch = state.withLock { state -> Bool in
            state.depth += 1
            guard state.depth == 1 else { return false }
            state.cancelSent = false
            state.deadline = responseTimeout.map { now + $0 }
            return state.deadline != nil && state.startWatching()
        }
        if watch { ConnectionWatchdog.shared.watch(self) }
    }

    /// The call returned.
    func end() {
        state.withLock { state in
            state.depth -= 1
            if state.depth == 0 { state.deadline = nil }
        }
    }

    /// Whether the last lost connection was this interrupter's doing after a response timeout.
    var timedOut: Bool { state.withLock { $0.timedOut } }

    /// `close()` was called: a running call is cancelled now and, if it still runs after
    /// `grace`, its socket is shut down. Returns at once.
    func abandonRunningCall(grace: Duration) {
        let now = ContinuousClock.now
        let busy = state.withLock { state -> Bool in
            guard state.depth > 0, !state.finished else { return false }
            state.deadline = min(state.deadline ?? now + grace, now + grace)
            return true
        }
        guard busy else { return }
        sendCancelOnce()
        if state.withLock({ $0.startWatching() }) { ConnectionWatchdog.shared.watch(self) }
    }

    /// `cancel()`: sends a cancel request if a call runs; returns at once.
    func cancelRunningCall() {
        let busy = state.withLock { state -> Bool in
            guard state.depth > 0, !state.finished else { return false }
            state.cancelSent = false
            return true
        }
        if busy { sendCancelOnce() }
    }

    /// Runs `close` (which calls `PQfinish`) once the socket is marked finished, so a
    /// concurrent interruption never shuts a descriptor that was reused. Interruptions
    /// shut the socket with the lock held, so none is under way once the mark is set;
    /// `close` itself runs without the lock (it may wait on a full socket).
    func finish(_ close: () -> Void) {
        state.withLock { $0.finished = true }
        close()
    }

    /// From the watchdog: interrupts a call past its deadline.
    func check(now: ContinuousClock.Instant) {
        let expired = state.withLock { state -> Bool in
            guard !state.finished, !state.shutDown, state.depth > 0, let deadline = state.deadline, now >= deadline
            else { return false }
            // A descriptor shut down, not closed: libpq's blocked poll/recv returns at once,
            // and the descriptor stays libpq's until PQfinish.
            state.shutDown = true
            state.timedOut = true
            _ = shutdown(state.socket, Int32(SHUT_RDWR))
            return true
        }
        if expired { sendCancelOnce() }
    }

    /// From the watchdog: stops being watched unless a call with a deadline still runs.
    func stopWatchingIfIdle() -> Bool {
        state.withLock { state in
            let running = !state.finished && !state.shutDown && state.depth > 0 && state.deadline != nil
            if !running { state.watched = false }
            return !running
        }
    }

    private func sendCancelOnce() {
        let send = state.withLock { state -> Bool in
            guard !state.cancelSent, !state.finished else { return false }
            state.cancelSent = true
            return true
        }
        if send { cancel?.send() }
    }
}

extension ConnectionInterrupter.State {
    /// Marks it watched; true when it was not (the caller registers it with the watchdog).
    fileprivate mutating func startWatching() -> Bool {
        guard !watched else { return false }
        watched = true
        return true
    }
}
