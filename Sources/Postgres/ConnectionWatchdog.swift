import Foundation
import Synchronization

/// One thread per process that watches connections with a call in progress and a deadline
/// (`ConnectionInterrupter`), every 100 ms, and interrupts those past it. It sleeps while
/// nothing is watched.
final class ConnectionWatchdog: @unchecked Sendable {
    // Safe: `watched` and `started` are only touched while holding `condition`.
    static let shared = ConnectionWatchdog()

    private let condition = NSCondition()
    private var watched: [ObjectIdentifier: ConnectionInterrupter] = [:]
    private var started = false

    /// Watches `interrupter` until its current call ends or is interrupted.
    func watch(_ interrupter: ConnectionInterrupter) {
        condition.lock()
        let wasEmpty = watched.isEmpty
        watched[ObjectIdentifier(interrupter)] = interrupter
        if !started {
            started = true
            let thread = Thread { [self] in self.loop() }
            thread.name = "choreo.postgres.watchdog"
            thread.start()
        }
        // Only a sleeping thread needs waking: waking a ticking one on every statement of
        // a busy connection would cost a context switch each time.
        if wasEmpty { condition.signal() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while watched.isEmpty { condition.wait() }
            let tick = Date(timeIntervalSinceNow: 0.1)
            while condition.wait(until: tick) {}
            let current = watched
            condition.unlock()
            let now = ContinuousClock.now
            for interrupter in current.values { interrupter.check(now: now) }
            condition.lock()
            // Under the lock: a call that began meanwhile re-registers only after this.
            for (id, interrupter) in current where interrupter.stopWatchingIfIdle() { watched[id] = nil }
            condition.unlock()
        }
    }
}
