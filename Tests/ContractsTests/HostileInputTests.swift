import Contracts
import Foundation
import Kafka
import Testing

@Suite("hostile input: JSON, schemas, envelopes, durations")
struct HostileInputTests {
    // MARK: JSON

    @Test("numbers outside the range of a double are refused, not read as infinity")
    func hugeNumbers() throws {
        for text in ["1e400", "-1e400", "[1.7976931348623157e309]", #"{"a":123456789e999}"#] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONValue(parsing: text) }
        }
        // The largest double and underflow to zero are fine.
        #expect(try JSONValue(parsing: "1.7976931348623157e308") == .number(.double(1.7976931348623157e308)))
        #expect(try JSONValue(parsing: "1e-400") == .number(.double(0)))
    }

    @Test("duplicate member names are refused, at any depth and object size")
    func duplicateKeys() throws {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"{"a":1,"a":2}"#) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"[{"x":{"b":1,"c":2,"b":3}}]"#) }
        // Past the size where objects are indexed by a dictionary.
        let members = (0..<100).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: "{\(members),\"k7\":0}") }
        #expect(try JSONValue(parsing: "{\(members)}").objectValue?.count == 100)
        // An escaped spelling of the same name is the same name.
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"{"a":1,"\u0061":2}"#) }
    }

    @Test("nesting is bounded: 512 levels parse, 513 and 100,000 are refused without a crash")
    func depth() throws {
        _ = try JSONValue(parsing: String(repeating: "[", count: 512) + String(repeating: "]", count: 512))
        #expect(throws: JSONParseError.self) {
            try JSONValue(parsing: String(repeating: "[", count: 513) + String(repeating: "]", count: 513))
        }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: String(repeating: #"{"a":"#, count: 100_000)) }
    }

    // MARK: Schemas

    @Test(
        "a $ref cycle that consumes no input is refused when compiled",
        arguments: [
            ##"{"$ref":"#"}"##,
            ##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##,
            ##"{"allOf":[{"$ref":"#"}]}"##,
            ##"{"$defs":{"a":{"anyOf":[{"type":"string"},{"not":{"$ref":"#/$defs/a"}}]}},"$ref":"#/$defs/a"}"##,
            ##"{"$id":"https://x.example/s","if":{"$ref":"https://x.example/s"}}"##,
        ])
    func refCycle(_ text: String) throws {
        do {
            _ = try JSONSchema(try JSONValue(parsing: text))
            Issue.record("compiled \(text)")
        } catch let error as JSONSchemaError {
            #expect(error.message.contains("$ref cycle that consumes no input"), "\(error)")
        }
    }

    @Test("references that consume input still work")
    func recursiveReference() throws {
        let schema = try JSONSchema(
            try JSONValue(
                parsing:
                    ##"{"$defs":{"node":{"type":"object","properties":{"next":{"$ref":"#/$defs/node"}},"items":{"$ref":"#"}}},"$ref":"#/$defs/node"}"##
            ))
        #expect(schema.isValid(try JSONValue(parsing: #"{"next":{"next":{}}}"#)))
        #expect(!schema.isValid(try JSONValue(parsing: #"{"next":{"next":3}}"#)))
        let tree = try JSONSchema(
            try JSONValue(parsing: ##"{"type":["array","integer"],"items":{"$ref":"#"}}"##))
        #expect(tree.isValid(try JSONValue(parsing: "[1,[2,[3,[]]]]")))
        #expect(!tree.isValid(try JSONValue(parsing: #"[1,[2,["x"]]]"#)))
    }

    @Test("validation errors are capped")
    func errorCap() throws {
        let schema = try JSONSchema(
            try JSONValue(parsing: #"{"items":{"type":"string"},"additionalProperties":false}"#))
        let errors = schema.validate(.array(Array(repeating: .number(.int(1)), count: 10_000)))
        #expect(errors.count == JSONSchema.maxReportedErrors)
        #expect(!schema.isValid(.array(Array(repeating: .number(.int(1)), count: 10_000))))
        #expect(schema.validate(.array([.number(.int(1)), .string("x")])).count == 1)
        // Member names from the instance are clipped in messages and paths.
        let long = String(repeating: "k", count: 100_000)
        let closed = try JSONSchema(try JSONValue(parsing: #"{"additionalProperties":{"type":"string"}}"#))
        let strict = try JSONSchema(try JSONValue(parsing: #"{"additionalProperties":false}"#))
        let instance = JSONValue.object(JSONObject([(long, .number(.int(1)))]))
        for error in closed.validate(instance) + strict.validate(instance) {
            #expect(error.description.count < 300, "\(error.description.prefix(200))")
        }
        #expect(strict.validate(instance).count == 1 && closed.validate(instance).count == 1)
    }

    @Test("fuzz findings replay without a crash (Tests/Fuzz/corpus/schema/regression-*)")
    func fuzzRegressions() throws {
        // The schema harness found NSRegularExpression leaking on every compile; patterns no
        // longer go through it. The input must still compile and validate as the harness does.
        let corpus = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Fuzz/corpus/schema")
        let files = try FileManager.default.contentsOfDirectory(at: corpus, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasPrefix("regression-") }
        #expect(!files.isEmpty)
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            let split = bytes.firstIndex(of: 0) ?? bytes.count
            let schema = try JSONSchema(try JSONValue(parsing: bytes[..<split]))
            let instance = try JSONValue(parsing: bytes[(split + 1)...])
            #expect(schema.validate(instance).isEmpty == schema.isValid(instance), "\(file.lastPathComponent)")
        }
    }

    // MARK: Envelopes

    let envelope = EventEnvelope(
        id: UUID(), type: EventType(name: "order.placed", version: 2), source: "/services/orders",
        time: Date(timeIntervalSince1970: 1_795_000_000.123), subject: "order-1")

    private func decodeError(_ headers: [KafkaHeader]) -> EnvelopeError? {
        do {
            _ = try EventEnvelope(kafkaHeaders: headers)
            return nil
        } catch { return error }
    }

    private func replacing(_ key: String, _ value: [UInt8]) -> [KafkaHeader] {
        envelope.kafkaHeaders().map { $0.key == key ? KafkaHeader(key: key, value: value) : $0 }
    }

    @Test("a NUL byte in any attribute is refused naming it")
    func nulBytes() {
        for key in ["ce_id", "ce_type", "ce_source", "ce_time", "ce_subject", "content-type"] {
            let value = Array((envelope.kafkaHeaders().first { $0.key == key }?.stringValue ?? "").utf8)
            let error = decodeError(replacing(key, value + [0]))
            #expect(
                error?.code == .malformedAttribute && error?.attribute == key, "\(key): \(String(describing: error))")
        }
        let withNul = envelope.kafkaHeaders() + [KafkaHeader(key: "ce_tenant", value: Array("a\0b".utf8))]
        #expect(decodeError(withNul)?.message == "contains a NUL byte")
        let nulName = envelope.kafkaHeaders() + [KafkaHeader(key: "ce_x\0y", string: "v")]
        #expect(decodeError(nulName)?.message == "header name contains a NUL byte")
        // Binary values of headers that are not attributes are not attributes' business.
        #expect(decodeError(envelope.kafkaHeaders() + [KafkaHeader(key: "blob", value: [0, 1, 0])]) == nil)
    }

    @Test("ce_time outside years 0001-9999 (PostgreSQL's range, no year 0) is refused at decode")
    func timeRange() {
        for text in ["0000-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00"] {
            let error = decodeError(replacing("ce_time", Array(text.utf8)))
            #expect(error?.code == .malformedAttribute && error?.attribute == "ce_time", "\(text)")
        }
        for text in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z"] {
            #expect(decodeError(replacing("ce_time", Array(text.utf8))) == nil, "\(text)")
        }
        #expect(decodeError(replacing("ce_time", Array("9999-12-31T23:59:59-01:00".utf8)))?.attribute == "ce_time")
    }

    @Test("header count and size are bounded")
    func headerBounds() {
        let extra = (0..<(EventEnvelope.maxHeaderCount - 6)).map { KafkaHeader(key: "x-\($0)", string: "v") }
        #expect(decodeError(envelope.kafkaHeaders() + extra)?.code == .tooManyHeaders)
        #expect(decodeError(envelope.kafkaHeaders() + extra.dropLast(envelope.kafkaHeaders().count - 6 + 1)) == nil)
        let big = KafkaHeader(key: "blob", value: [UInt8](repeating: 65, count: EventEnvelope.maxHeaderValueBytes + 1))
        #expect(decodeError(envelope.kafkaHeaders() + [big])?.code == .oversizedHeader)
        let fits = KafkaHeader(key: "blob", value: [UInt8](repeating: 65, count: EventEnvelope.maxHeaderValueBytes))
        #expect(decodeError(envelope.kafkaHeaders() + [fits]) == nil)
        let longName = KafkaHeader(key: String(repeating: "k", count: EventEnvelope.maxHeaderKeyBytes + 1), string: "v")
        #expect(decodeError(envelope.kafkaHeaders() + [longName])?.code == .oversizedHeader)
    }

    @Test("reserved header names")
    func reservedHeaders() {
        for name in [
            "ce_type", "CE_ID", "content-type", "Content-Type", "traceparent", "retry_count", "dlq_reason", "choreo_x",
        ] {
            #expect(ReservedHeaders.isReserved(name), "\(name)")
        }
        for name in ["x-tenant", "tracestate", "retry", "content-length", "ce"] {
            #expect(!ReservedHeaders.isReserved(name), "\(name)")
        }
    }

    // MARK: Durations

    @Test("durations: one overflow-checked parser with a 10-year ceiling")
    func durations() {
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("10s") == .seconds(10))
        #expect(DurationText.parse("1m") == .seconds(60))
        #expect(DurationText.parse("2h") == .seconds(7200))
        #expect(DurationText.parse("30d") == nil)
        #expect(DurationText.parse("30d", units: DurationText.Unit.allCases) == .seconds(30 * 86_400))
        #expect(DurationText.parse("3650d", units: DurationText.Unit.allCases) == DurationText.maximum)
        for text in [
            "9999999999999h", "9999999999999999d", "3651d", "0s", "-1s", "+1s", "1.5s", "s", "", "1 s",
            "99999999999999999999ms",
        ] {
            #expect(DurationText.parse(text, units: DurationText.Unit.allCases) == nil, "\(text)")
        }
        for delay in [Duration.milliseconds(250), .seconds(10), .seconds(60), .seconds(7200)] {
            #expect(DurationText.parse(DurationText.format(delay)) == delay)
        }
        #expect(DurationText.seconds(.nan) == nil && DurationText.seconds(.infinity) == nil)
        #expect(DurationText.seconds(1e300) == nil && DurationText.seconds(0) == nil && DurationText.seconds(-1) == nil)
        #expect(DurationText.seconds(2.5) == .milliseconds(2500))
    }
}
