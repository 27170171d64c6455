import Foundation
import Logging
import Synchronization

extension LoggingSystem {
    private static let bootstrapped = Mutex(false)

    /// Logs to standard error at `CHOREO_LOG_LEVEL` (default `info`); only the first call acts.
    static func bootstrapOnce() {
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let level =
            ProcessInfo.processInfo.environment["CHOREO_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
