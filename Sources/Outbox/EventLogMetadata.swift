import Contracts
import Foundation
import Kafka
import Logging

/// The metadata every log line about one event carries: `event_id` (`ce_id`),
/// `correlation_id` (`ce_correlationid`) and `trace_id` (the trace-id field of the W3C
/// `traceparent`). Absent attributes are left out.
public enum EventLogMetadata {
    public static func of(headers: [KafkaHeader], eventID: UUID? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        if let eventID { metadata["event_id"] = "\(UUIDText.lowercased(eventID))" }
        for header in headers {
            guard let value = header.value, let text = String(validating: value, as: UTF8.self) else { continue }
            switch header.key {
            case "ce_id" where metadata["event_id"] == nil: metadata["event_id"] = "\(text)"
            case "ce_correlationid": metadata["correlation_id"] = "\(text)"
            case "traceparent": if let traceID = traceID(ofTraceparent: text) { metadata["trace_id"] = "\(traceID)" }
            default: break
            }
        }
        return metadata
    }

    public static func of(_ envelope: EventEnvelope) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["event_id": "\(UUIDText.lowercased(envelope.id))"]
        if let correlation = envelope.correlationID { metadata["correlation_id"] = "\(correlation)" }
        if let traceID = envelope.traceparent.flatMap(traceID(ofTraceparent:)) { metadata["trace_id"] = "\(traceID)" }
        return metadata
    }

    /// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>` → the trace id; `nil` when
    /// malformed or all zeros.
    public static func traceID(ofTraceparent traceparent: String) -> String? {
        let fields = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0].count == 2, fields[1].count == 32,
            fields[1].allSatisfy(\.isHexDigit), fields[1].contains(where: { $0 != "0" })
        else { return nil }
        return fields[1].lowercased()
    }
}
