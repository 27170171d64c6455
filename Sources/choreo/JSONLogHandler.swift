import Contracts
import Foundation
import Logging
import Synchronization

/// A swift-log handler writing one JSON object per line to standard error:
/// `{"timestamp":…,"level":…,"logger":…,"message":…,<metadata>…}`. Metadata keys become
/// members (a key that collides with those four is written as `meta.<key>`); nested
/// metadata stays nested. Lines about an event carry `event_id`, `correlation_id` and
/// `trace_id` (see docs/observability.md).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// Serialises writes so lines from concurrent tasks never interleave.
    private static let output = Mutex(())

    init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = Self.render(
            timestamp: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged)
        line.append(UInt8(ascii: "\n"))
        Self.output.withLock { _ in
            line.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count, let base = bytes.baseAddress {
                    let written = write(STDERR_FILENO, base + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        break
                    }
                }
            }
        }
    }

    static let reserved: Set<String> = ["timestamp", "level", "logger", "message"]

    /// One log line as JSON bytes (without the newline).
    static func render(
        timestamp: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> [UInt8] {
        var object = JSONObject()
        object["timestamp"] = .string(timestamp.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        object["level"] = .string(level.rawValue)
        object["logger"] = .string(label)
        object["message"] = .string(message)
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            object[reserved.contains(key) ? "meta.\(key)" : key] = json(value)
        }
        return JSONValue.object(object).serialized()
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary):
            .object(JSONObject(dictionary.keys.sorted().compactMap { key in dictionary[key].map { (key, json($0)) } }))
        }
    }
}
