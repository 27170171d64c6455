import ArgumentParser
import Foundation
import Logging
import Synchronization

/// How log lines are written: `text` (swift-log's stream format) or `json` (one object per line).
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

/// `--log-format text|json` (env `CHOREO_LOG_FORMAT`; default text) of long-running commands.
struct LogOptions: ParsableArguments {
    @Option(help: "Log format: text or json, one object per line (env CHOREO_LOG_FORMAT; default text).")
    var logFormat: LogFormat?

    /// Bootstraps logging in the format given or configured.
    func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var format = logFormat
        if format == nil, let text = environment["CHOREO_LOG_FORMAT"], !text.isEmpty {
            guard let configured = LogFormat(rawValue: text.lowercased()) else {
                throw ValidationError("CHOREO_LOG_FORMAT must be text or json")
            }
            format = configured
        }
        LoggingSystem.bootstrapOnce(format: format ?? .text)
    }
}

extension LoggingSystem {
    private static let bootstrapped = Mutex(false)

    /// Logs to standard error at `CHOREO_LOG_LEVEL` (default `info`), as text or, with
    /// `json` (or `CHOREO_LOG_FORMAT=json`), one JSON object per line; only the first call acts.
    static func bootstrapOnce(format: LogFormat? = nil) {
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let environment = ProcessInfo.processInfo.environment
        let level = environment["CHOREO_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let format =
            format ?? environment["CHOREO_LOG_FORMAT"].flatMap { LogFormat(rawValue: $0.lowercased()) } ?? .text
        bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
