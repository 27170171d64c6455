import Foundation
import Kafka

/// The CloudEvents 1.0 attributes of an event, carried as Kafka headers in binary mode
/// (the Kafka protocol binding): `ce_specversion`, `ce_id`, `ce_type`, `ce_source`,
/// `ce_time`, `ce_subject`, `content-type`, the extensions `ce_correlationid` and
/// `ce_causationid`, and the W3C `traceparent`. The Kafka key is the partition key and
/// the value is the event data (JSON).
public struct EventEnvelope: Sendable, Equatable {
    /// `ce_id`: the idempotency key.
    public var id: UUID
    /// `ce_type`: contract and major version, `order.placed.v1`.
    public var type: EventType
    /// `ce_source`: the producing service, e.g. `/services/orders`.
    public var source: String
    /// `ce_time`.
    public var time: Date
    /// `ce_subject`: the aggregate id.
    public var subject: String?
    /// `content-type`; always JSON here.
    public var dataContentType: String = "application/json"
    /// `ce_correlationid`: shared by every event of one business flow.
    public var correlationID: String?
    /// `ce_causationid`: the `ce_id` of what caused this event.
    public var causationID: String?
    /// W3C `traceparent`.
    public var traceparent: String?
    /// Other `ce_*` attributes (without the prefix).
    public var extensions: [String: String] = [:]

    /// The largest CloudEvents attribute (`ce_*`, `content-type`, `traceparent`) accepted when
    /// decoding, in bytes.
    public static let maxAttributeBytes = 4_096
    /// The most headers a message may carry to be decoded.
    public static let maxHeaderCount = 64
    /// The largest header value of any name accepted when decoding, in bytes.
    public static let maxHeaderValueBytes = 8_192
    /// The longest header name accepted when decoding, in bytes.
    public static let maxHeaderKeyBytes = 256
    /// `ce_time` must lie in years 0001…9999 (UTC): RFC 3339's four-digit years, inside
    /// PostgreSQL's `timestamptz` range (which has no year 0).
    public static let timeRange =
        Date(timeIntervalSince1970: -62_135_596_800)..<Date(timeIntervalSince1970: 253_402_300_800)

    public init(
        id: UUID = RandomUUID.make(), type: EventType, source: String, time: Date = Date(), subject: String? = nil,
        correlationID: String? = nil, causationID: String? = nil, traceparent: String? = nil,
        extensions: [String: String] = [:]
    ) {
        self.id = id
        self.type = type
        self.source = source
        self.time = time
        self.subject = subject
        self.correlationID = correlationID
        self.causationID = causationID
        self.traceparent = traceparent
        self.extensions = extensions
    }

    /// The headers of this envelope, in a fixed order.
    public func kafkaHeaders() -> [KafkaHeader] {
        var headers = [
            KafkaHeader(key: "ce_specversion", string: "1.0"),
            KafkaHeader(key: "ce_id", string: UUIDText.lowercased(id)),
            KafkaHeader(key: "ce_type", string: type.description),
            KafkaHeader(key: "ce_source", string: source),
            KafkaHeader(key: "ce_time", string: RFC3339.format(time)),
            KafkaHeader(key: "content-type", string: dataContentType),
        ]
        if let subject { headers.append(KafkaHeader(key: "ce_subject", string: subject)) }
        if let correlationID { headers.append(KafkaHeader(key: "ce_correlationid", string: correlationID)) }
        if let causationID { headers.append(KafkaHeader(key: "ce_causationid", string: causationID)) }
        if let traceparent { headers.append(KafkaHeader(key: "traceparent", string: traceparent)) }
        for (name, value) in extensions.sorted(by: { $0.key < $1.key }) {
            headers.append(KafkaHeader(key: "ce_\(name)", string: value))
        }
        return headers
    }

    /// Decodes the envelope from Kafka headers.
    /// - Throws: `EnvelopeError` naming the missing or malformed attribute.
    public init(kafkaHeaders headers: [KafkaHeader]) throws(EnvelopeError) {
        guard headers.count <= Self.maxHeaderCount else {
            throw EnvelopeError(
                code: .tooManyHeaders, attribute: "headers",
                message: "\(headers.count) headers, at most \(Self.maxHeaderCount) are accepted")
        }
        var attributes = Attributes()
        for header in headers {
            try Self.checkBounds(header)
            guard let slot = Attributes.slot(of: header.key), let bytes = header.value else { continue }
            guard bytes.count <= Self.maxAttributeBytes else {
                throw EnvelopeError(
                    code: .malformedAttribute, attribute: header.key,
                    message: "longer than \(Self.maxAttributeBytes) bytes")
            }
            guard !bytes.contains(0) else {
                throw EnvelopeError(code: .malformedAttribute, attribute: header.key, message: "contains a NUL byte")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw EnvelopeError(code: .malformedAttribute, attribute: header.key, message: "not UTF-8")
            }
            attributes.set(slot, key: header.key, text)
        }
        func required(_ value: String?, _ key: String) throws(EnvelopeError) -> String {
            guard let value, !value.isEmpty else {
                throw EnvelopeError(code: .missingAttribute, attribute: key, message: "required by CloudEvents 1.0")
            }
            return value
        }
        let specVersion = try required(attributes.specVersion, "ce_specversion")
        guard specVersion == "1.0" else {
            throw EnvelopeError(
                code: .unsupportedSpecVersion, attribute: "ce_specversion",
                message: "expected 1.0, got '\(specVersion.prefix(20))'")
        }
        guard let id = UUIDText.parse(try required(attributes.id, "ce_id")) else {
            throw EnvelopeError(code: .malformedAttribute, attribute: "ce_id", message: "not a UUID")
        }
        guard let type = EventType(parsing: try required(attributes.type, "ce_type")) else {
            throw EnvelopeError(
                code: .malformedAttribute, attribute: "ce_type", message: "expected <name>.v<N>, e.g. order.placed.v1")
        }
        let source = try required(attributes.source, "ce_source")
        guard let timeText = attributes.time else {
            throw EnvelopeError(code: .missingAttribute, attribute: "ce_time", message: "required by Choreo's envelope")
        }
        guard let time = RFC3339.parse(timeText) else {
            throw EnvelopeError(code: .malformedAttribute, attribute: "ce_time", message: "not an RFC 3339 timestamp")
        }
        guard Self.timeRange.contains(time) else {
            throw EnvelopeError(
                code: .malformedAttribute, attribute: "ce_time", message: "outside years 0001-9999 (UTC)")
        }
        if let contentType = attributes.contentType {
            guard Self.isJSONContentType(contentType) else {
                throw EnvelopeError(
                    code: .unsupportedContentType, attribute: "content-type", message: "expected application/json")
            }
            dataContentType = contentType
        }
        if let traceparent = attributes.traceparent, !Self.isValidTraceparent(traceparent) {
            throw EnvelopeError(code: .malformedAttribute, attribute: "traceparent", message: "not a W3C traceparent")
        }
        self.id = id
        self.type = type
        self.source = source
        self.time = time
        self.subject = attributes.subject
        self.correlationID = attributes.correlationID
        self.causationID = attributes.causationID
        self.traceparent = attributes.traceparent
        self.extensions = attributes.extensions
    }

    /// Any header: a name without NUL (PostgreSQL text and C strings end at it) within
    /// `maxHeaderKeyBytes`, a value within `maxHeaderValueBytes`.
    private static func checkBounds(_ header: KafkaHeader) throws(EnvelopeError) {
        let name = String(header.key.prefix(64))
        guard header.key.utf8.count <= maxHeaderKeyBytes else {
            throw EnvelopeError(
                code: .oversizedHeader, attribute: name, message: "header name longer than \(maxHeaderKeyBytes) bytes")
        }
        guard !header.key.utf8.contains(0) else {
            throw EnvelopeError(
                code: .malformedAttribute, attribute: name.replacingOccurrences(of: "\0", with: "\\0"),
                message: "header name contains a NUL byte")
        }
        guard (header.value?.count ?? 0) <= maxHeaderValueBytes else {
            throw EnvelopeError(
                code: .oversizedHeader, attribute: name, message: "value longer than \(maxHeaderValueBytes) bytes")
        }
    }

    /// The attributes found while decoding; a later header of the same key wins.
    private struct Attributes {
        enum Slot {
            case specVersion, id, type, source, time, subject, correlationID, causationID, contentType, traceparent,
                other
        }
        var specVersion, id, type, source, time, subject, correlationID, causationID, contentType, traceparent: String?
        var extensions: [String: String] = [:]

        static func slot(of key: String) -> Slot? {
            switch key {
            case "ce_specversion": return .specVersion
            case "ce_id": return .id
            case "ce_type": return .type
            case "ce_source": return .source
            case "ce_time": return .time
            case "ce_subject": return .subject
            case "ce_correlationid": return .correlationID
            case "ce_causationid": return .causationID
            case "content-type": return .contentType
            case "traceparent": return .traceparent
            default: return key.hasPrefix("ce_") ? .other : nil
            }
        }

        mutating func set(_ slot: Slot, key: String, _ value: String) {
            switch slot {
            case .specVersion: specVersion = value
            case .id: id = value
            case .type: type = value
            case .source: source = value
            case .time: time = value
            case .subject: subject = value
            case .correlationID: correlationID = value
            case .causationID: causationID = value
            case .contentType: contentType = value
            case .traceparent: traceparent = value
            case .other: extensions[String(key.dropFirst(3))] = value
            }
        }
    }

    /// `application/json` or any `+json` media type, parameters allowed.
    static func isJSONContentType(_ contentType: String) -> Bool {
        if contentType == "application/json" { return true }
        let base =
            contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return base == "application/json" || base.hasSuffix("+json")
    }

    /// `00-<32 hex>-<16 hex>-<2 hex>`; later versions may append `-…`.
    static func isValidTraceparent(_ text: String) -> Bool {
        let bytes = Array(text.utf8.prefix(56))
        guard bytes.count == 55 || (bytes.count == 56 && bytes[55] == UInt8(ascii: "-")) else { return false }
        for offset in 0..<55 {
            if offset == 2 || offset == 35 || offset == 52 {
                guard bytes[offset] == UInt8(ascii: "-") else { return false }
            } else if UUIDText.hexValue(bytes[offset]) == nil {
                return false
            }
        }
        return true
    }
}

/// RFC 3339 timestamps: written in UTC with milliseconds; read with or without fractions
/// and with any offset.
public enum RFC3339 {
    /// `2026-11-23T10:00:00.123Z`.
    public static func format(_ date: Date) -> String {
        let totalMillis = (date.timeIntervalSince1970 * 1000).rounded(.down)
        var seconds = Int((totalMillis / 1000).rounded(.down))
        let millis = Int(totalMillis) - seconds * 1000
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        seconds -= days * 86_400
        let (year, month, day) = RFC3339Parser.civil(fromDays: days)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func append(_ value: Int, width: Int) {
            var digits = [UInt8](repeating: 48, count: width)
            var rest = value
            for index in stride(from: width - 1, through: 0, by: -1) {
                digits[index] = UInt8(48 + rest % 10)
                rest /= 10
            }
            out.append(contentsOf: digits)
        }
        append(year, width: 4); out.append(45); append(month, width: 2); out.append(45); append(day, width: 2)
        out.append(84); append(seconds / 3600, width: 2); out.append(58); append(seconds % 3600 / 60, width: 2)
        out.append(58); append(seconds % 60, width: 2); out.append(46); append(millis, width: 3); out.append(90)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses RFC 3339 date-times (any offset, with or without fractions).
    public static func parse(_ text: String) -> Date? {
        RFC3339Parser.parse(text)
    }
}
