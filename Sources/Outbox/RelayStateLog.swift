import Logging
import Synchronization

/// Logs a relay's state only when it changes, so an outage logs once, not per attempt.
final class RelayStateLog: Sendable {
    enum State: Equatable, Sendable {
        case starting, standby, active, databaseUnavailable, brokerUnavailable, deliveryFailing, stopped
    }

    private let current = Mutex(State.starting)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Records `state`; logs `message` at `level` only when the state changed.
    func enter(
        _ state: State, level: Logger.Level = .info, _ message: @autoclosure () -> Logger.Message,
        metadata: Logger.Metadata = [:]
    ) {
        let changed = current.withLock { current -> Bool in
            defer { current = state }
            return current != state
        }
        if changed { logger.log(level: level, message(), metadata: metadata) }
    }

    var state: State { current.withLock { $0 } }
}
