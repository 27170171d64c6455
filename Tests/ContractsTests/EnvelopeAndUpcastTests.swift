import Contracts
import Foundation
import Kafka
import Testing

@Suite("CloudEvents envelope")
struct EnvelopeTests {
    let envelope = EventEnvelope(
        id: UUID(), type: EventType(name: "order.placed", version: 2), source: "/services/orders",
        time: Date(timeIntervalSince1970: 1_795_000_000.123), subject: "order-1", correlationID: "flow-7",
        causationID: "cause-3", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        extensions: ["tenant": "acme"])

    @Test("every attribute round-trips through Kafka headers")
    func roundTrip() throws {
        let headers = envelope.kafkaHeaders()
        #expect(headers.first { $0.key == "ce_type" }?.stringValue == "order.placed.v2")
        #expect(headers.first { $0.key == "ce_time" }?.stringValue == "2026-11-18T11:06:40.123Z")
        #expect(headers.first { $0.key == "content-type" }?.stringValue == "application/json")
        let decoded = try EventEnvelope(kafkaHeaders: headers)
        #expect(decoded == envelope)
    }

    @Test("missing or malformed attributes give a clear error naming the attribute")
    func errors() {
        let headers = envelope.kafkaHeaders()
        func decode(_ change: ([KafkaHeader]) -> [KafkaHeader]) -> EnvelopeError? {
            do {
                _ = try EventEnvelope(kafkaHeaders: change(headers))
                return nil
            } catch { return error }
        }
        func replacing(_ key: String, _ value: String) -> ([KafkaHeader]) -> [KafkaHeader] {
            { $0.map { $0.key == key ? KafkaHeader(key: key, string: value) : $0 } }
        }
        for key in ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time"] {
            let error = decode { $0.filter { $0.key != key } }
            #expect(error?.code == .missingAttribute && error?.attribute == key, "\(key)")
        }
        #expect(decode(replacing("ce_specversion", "0.3"))?.code == .unsupportedSpecVersion)
        #expect(decode(replacing("ce_id", "not-a-uuid"))?.attribute == "ce_id")
        #expect(decode(replacing("ce_type", "order.placed"))?.attribute == "ce_type")
        #expect(decode(replacing("ce_time", "yesterday"))?.attribute == "ce_time")
        #expect(decode(replacing("content-type", "text/plain"))?.code == .unsupportedContentType)
        #expect(decode(replacing("traceparent", "nope"))?.attribute == "traceparent")
        for bad in [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ] {
            #expect(decode(replacing("traceparent", bad))?.attribute == "traceparent", "\(bad)")
        }
        #expect(
            decode(replacing("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future")) == nil)
        #expect(decode(replacing("ce_id", "5B0C6C0E-8D2A-4C1E-9F3B-2A7D1E4C9B10")) == nil, "upper-case UUIDs are UUIDs")
        for bad in [
            "5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b1", "5b0c6c0e8d2a-4c1e-9f3b-2a7d1e4c9b10-",
            "5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b1z",
        ] {
            #expect(decode(replacing("ce_id", bad))?.attribute == "ce_id", "\(bad)")
        }
        #expect(decode(replacing("content-type", "application/cloudevents+json; charset=utf-8")) == nil)
        #expect(
            decode { $0 + [KafkaHeader(key: "ce_big", value: Array(repeating: 65, count: 5_000))] }?.code
                == .malformedAttribute)
    }

    @Test("event types parse only as <name>.v<N>")
    func eventTypes() {
        #expect(
            EventType(parsing: "stock.reservation-failed.v1") == EventType(name: "stock.reservation-failed", version: 1)
        )
        for bad in [
            "order.placed", "order.placed.v0", "order.placed.vx", ".v1", "Order.placed.v1", "order..placed.v1",
            "order.placed.v",
            "order.placed.v1x", "order.placed.v-1", "order.placed..v1", "order.v12345678901", "ordér.placed.v1",
        ] {
            #expect(EventType(parsing: bad) == nil, "\(bad)")
        }
        #expect(EventType(parsing: "a.v12") == EventType(name: "a", version: 12))
    }
}

@Suite("Upcasting with the repository's contracts")
struct UpcastTests {
    static let registry: ContractRegistry? = try? ContractRegistry(
        directory: URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "contracts"))

    /// order.placed v1 (decimal euros) → v2 (minor units, currency, no address).
    static func upcasters() -> Upcasters {
        var upcasters = Upcasters()
        upcasters.register("order.placed", from: 1) { data in
            guard case .object(var object) = data, case .array(let items)? = object["items"],
                case .number(let total)? = object["total"]
            else { throw UpcastError(message: "not an order.placed.v1") }
            func minor(_ value: JSONNumber) -> JSONValue { .number(.int(Int64((value.doubleValue * 100).rounded()))) }
            object["items"] = .array(
                items.map { item in
                    guard case .object(var line) = item, case .number(let price)? = line["unitPrice"] else {
                        return item
                    }
                    line["unitPrice"] = nil
                    line["unitPriceMinor"] = minor(price)
                    return .object(line)
                })
            object["total"] = nil
            object["totalMinor"] = minor(total)
            object["currency"] = .string("EUR")
            object["shippingAddress"] = .null
            return .object(object)
        }
        return upcasters
    }

    @Test("a v1 order upcasts to a valid v2")
    func upcastV1ToV2() throws {
        let registry = try #require(Self.registry)
        let v1 = try #require(registry.contract(for: EventType(name: "order.placed", version: 1))?.examples.first)
        let v2 = try Self.upcasters().upcast(
            v1, from: EventType(name: "order.placed", version: 1), to: 2, registry: registry)
        #expect(registry.validate(v2, as: EventType(name: "order.placed", version: 2)).isEmpty)
        #expect(v2["totalMinor"] == .number(.int(3998)))
        #expect(v2["currency"]?.stringValue == "EUR")
    }

    @Test("a missing step or an invalid result is an error")
    func upcastErrors() throws {
        let registry = try #require(Self.registry)
        let v1 = try #require(registry.contract(for: EventType(name: "order.placed", version: 1))?.examples.first)
        #expect(throws: UpcastError.self) {
            try Upcasters().upcast(v1, from: EventType(name: "order.placed", version: 1), to: 2, registry: registry)
        }
        var broken = Upcasters()
        broken.register("order.placed", from: 1) { $0 }
        #expect(throws: UpcastError.self) {
            try broken.upcast(v1, from: EventType(name: "order.placed", version: 1), to: 2, registry: registry)
        }
    }
}
