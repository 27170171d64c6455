import Contracts
import Kafka

/// The three fuzz harnesses: each takes arbitrary bytes and must return without crashing;
/// a broken invariant traps so that libFuzzer records the input.
enum FuzzHarness: String, CaseIterable {
    /// The JSON parser: what parses re-serializes and re-parses to an equal value.
    case json
    /// CloudEvents envelope decoding from Kafka headers derived from the bytes.
    case envelope
    /// Schema compile + validate: bytes before the first NUL are the schema, the rest the instance.
    case schema

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .json: Self.fuzzJSON(bytes)
        case .envelope: Self.fuzzEnvelope(bytes)
        case .schema: Self.fuzzSchema(bytes)
        }
    }

    static func fuzzJSON(_ bytes: UnsafeRawBufferPointer) {
        guard let value = try? JSONValue(parsing: bytes) else { return }
        let text = value.serialized()
        guard let again = try? JSONValue(parsing: text) else { fatalError("serialized JSON does not parse") }
        precondition(again == value, "JSON round trip changed the value")
    }

    static func fuzzEnvelope(_ bytes: UnsafeRawBufferPointer) {
        let headers = headers(from: bytes)
        guard let envelope = try? EventEnvelope(kafkaHeaders: headers) else { return }
        let again: EventEnvelope
        do {
            again = try EventEnvelope(kafkaHeaders: envelope.kafkaHeaders())
        } catch {
            fatalError("re-encoded envelope does not decode: \(error)")
        }
        precondition(again.id == envelope.id && again.type == envelope.type && again.source == envelope.source)
    }

    static func fuzzSchema(_ bytes: UnsafeRawBufferPointer) {
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        let schemaBytes = UnsafeRawBufferPointer(rebasing: bytes[0..<split])
        let instanceBytes = split < bytes.count ? UnsafeRawBufferPointer(rebasing: bytes[(split + 1)...]) : nil
        guard let schemaValue = try? JSONValue(parsing: schemaBytes),
            let schema = try? JSONSchema(schemaValue)
        else { return }
        let instance = instanceBytes.flatMap { try? JSONValue(parsing: $0) } ?? schemaValue
        let errors = schema.validate(instance)
        precondition(errors.isEmpty == schema.isValid(instance), "validate and isValid disagree")
    }

    /// Header names the decoder knows, so that the fuzzer reaches its deeper checks.
    private static let knownKeys = [
        "ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject", "content-type",
        "ce_correlationid", "ce_causationid", "traceparent", "ce_ext", "retry_count",
    ]

    /// Records of `[key length][key][value length][value]`; a key length with the high bit set
    /// names a known key instead (low bits index `knownKeys`), a value length of 255 a null value.
    static func headers(from bytes: UnsafeRawBufferPointer) -> [KafkaHeader] {
        var headers: [KafkaHeader] = []
        var index = 0
        func take(_ count: Int) -> [UInt8] {
            let end = min(bytes.count, index + count)
            defer { index = end }
            return Array(bytes[index..<end])
        }
        while index < bytes.count {
            let keyByte = bytes[index]
            index += 1
            let key: String
            if keyByte & 0x80 != 0 {
                key = knownKeys[Int(keyByte & 0x7F) % knownKeys.count]
            } else {
                key = String(decoding: take(Int(keyByte & 0x3F)), as: UTF8.self)
            }
            guard index < bytes.count else {
                headers.append(KafkaHeader(key: key, value: nil))
                break
            }
            let valueLength = bytes[index]
            index += 1
            let value: [UInt8]? = valueLength == 255 ? nil : take(Int(valueLength))
            headers.append(KafkaHeader(key: key, value: value))
        }
        return headers
    }
}
