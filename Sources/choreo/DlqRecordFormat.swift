import Contracts
import DeadLetters
import Foundation

/// How `dlq list` and `dlq show` print records: a table for people, JSON for scripts.
enum DlqRecordFormat {
    /// The `--json` object of `list` (one per line): the fields scripts depend on.
    static func summary(_ record: DeadLetterRecord) -> JSONObject {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        var object = JSONObject([
            ("id", .number(.int(record.id))), ("group", .string(record.group)), ("reason", .string(record.reason)),
            ("eventId", optional(record.eventID)),
            ("eventType", optional(record.fullType?.description ?? record.eventType)),
            ("key", optional(record.keyText)),
            ("status", .string(record.status.rawValue)), ("failedAt", .string(RFC3339.format(record.failedAt))),
            ("attempts", .number(.int(Int64(record.attempts)))), ("error", .string(record.error)),
            ("originalTopic", .string(record.originalTopic)),
            ("originalPartition", .number(.int(Int64(record.originalPartition)))),
            ("originalOffset", .number(.int(record.originalOffset))),
            ("replayCount", .number(.int(Int64(record.replayCount)))),
            ("truncated", .bool(record.truncation != nil)),
        ])
        if let truncation = record.truncation {
            object["originalSize"] = .number(.int(Int64(truncation.originalSize)))
            object["originalSha256"] = .string(truncation.originalSHA256)
        }
        return object
    }

    /// How `dlq show` describes a cut-down record's data.
    static func truncationNote(_ record: DeadLetterRecord) -> String? {
        guard let truncation = record.truncation else { return nil }
        return
            "cut down: first \(record.value?.count ?? 0) of \(truncation.originalSize) bytes kept; original SHA-256 \(truncation.originalSHA256); replay needs --edit with the full data"
    }

    static let tableHeader =
        "ID".padding(8) + "GROUP".padding(24) + "REASON".padding(20) + "TYPE".padding(28) + "KEY".padding(20)
        + "STATUS".padding(10) + "FAILED AT".padding(26) + "ATT".padding(4) + "ERROR"

    static func tableRow(_ record: DeadLetterRecord) -> String {
        let error = record.error.count > 60 ? String(record.error.prefix(57)) + "..." : record.error
        return "\(record.id)".padding(8) + record.group.padding(24) + record.reason.padding(20)
            + (record.fullType?.description ?? record.eventType ?? "-").padding(28)
            + String((record.keyText ?? "-").prefix(19)).padding(20) + record.status.rawValue.padding(10)
            + RFC3339.format(record.failedAt).padding(26) + "\(record.attempts)".padding(4) + error
    }

    /// The data as JSON when it parses, else as text, else base64.
    static func data(_ bytes: [UInt8]?) -> JSONValue {
        guard let bytes else { return .null }
        if let json = try? JSONValue(parsing: bytes) { return json }
        if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
        return .string("base64:" + Data(bytes).base64EncodedString())
    }
}
