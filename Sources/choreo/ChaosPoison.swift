import Consumers
import Contracts
import Foundation
import Kafka

/// The poison `choreo chaos` injects into command and event topics: each kind is one
/// message every consuming group must dead-letter, with the reason named here. Pure:
/// builds messages, sends nothing.
enum ChaosPoison {
    enum Kind: String, CaseIterable, Codable, Sendable {
        /// Bytes that are no CloudEvent: no attributes, a value that is not JSON.
        case garbage
        /// A CloudEvent without `ce_id`, `ce_source` and `ce_time`.
        case missingAttributes = "missing-attributes"
        /// A type with no contract.
        case unknownType = "unknown-type"
        /// A command whose data breaks its contract.
        case commandContractViolation = "command-contract-violation"
        /// An event whose data breaks its contract.
        case eventContractViolation = "event-contract-violation"
        /// A command type on another command topic.
        case commandWrongTopic = "command-wrong-topic"
        /// An event type on another event topic.
        case eventWrongTopic = "event-wrong-topic"
        /// A valid event over the consumers' 1 MB message limit.
        case oversized
        /// A valid command with a NUL byte in its key.
        case nulKey = "nul-key"

        /// The topic it is injected into.
        var topic: String {
            switch self {
            case .garbage, .commandContractViolation, .commandWrongTopic, .nulKey: "orders.commands"
            case .missingAttributes, .eventContractViolation: "customers.events"
            case .unknownType: "payments.events"
            case .eventWrongTopic: "orders.events"
            case .oversized: "inventory.events"
            }
        }

        /// The dead-letter reason every group consuming `topic` must give it.
        var reason: DeadLetterReason {
            switch self {
            case .garbage, .missingAttributes, .nulKey: .undecodable
            case .unknownType: .unknownType
            case .commandContractViolation, .eventContractViolation: .contractViolation
            case .commandWrongTopic, .eventWrongTopic: .wrongTopic
            case .oversized: .oversized
            }
        }
    }

    /// Valid data for a dead letter of `kind` (whose key is `key`), for a replay with
    /// `--edit`: a contract violation repaired into the event or command it should have
    /// been — an order of `customer`, a registration of the customer `key` names — or nil
    /// when no edit of the data makes the message valid (its bytes, attributes, key, size or
    /// topic are what is wrong).
    static func repairedData(_ kind: Kind, key: String, customer: String?, time: Date) -> [UInt8]? {
        guard UUID(uuidString: key) != nil else { return nil }
        switch kind {
        case .commandContractViolation:
            guard let customer, UUID(uuidString: customer) != nil, let sku = DevTraffic.skus.first else { return nil }
            return Array(
                "{\"orderId\":\"\(key)\",\"customerId\":\"\(customer)\",\"items\":[{\"sku\":\"\(sku.name)\",\"quantity\":1,\"unitPrice\":\(sku.price)}]}"
                    .utf8)
        case .eventContractViolation:
            return Array(
                "{\"customerId\":\"\(key)\",\"name\":\"Chaos repaired\",\"email\":\"repaired@example.com\",\"creditLimit\":10,\"registeredAt\":\"\(RFC3339.format(time))\"}"
                    .utf8)
        case .garbage, .missingAttributes, .unknownType, .commandWrongTopic, .eventWrongTopic, .oversized, .nulKey:
            return nil
        }
    }

    /// The bytes of a message larger than the consumers' default 1 MB limit.
    static let oversizedBytes = 1_100_000

    static func message(_ kind: Kind) -> KafkaProducerMessage {
        let key = UUIDText.lowercased(UUID())
        func envelope(_ type: String) -> [KafkaHeader] {
            EventEnvelope(type: EventType(parsing: type) ?? EventType(name: type, version: 1), source: "/choreo/chaos")
                .kafkaHeaders()
        }
        func make(_ type: String, _ data: String, rawKey: [UInt8]? = nil) -> KafkaProducerMessage {
            KafkaProducerMessage(
                topic: kind.topic, key: rawKey ?? Array(key.utf8), value: Array(data.utf8), headers: envelope(type))
        }
        let registration =
            "{\"customerId\":\"\(key)\",\"name\":\"Chaos\",\"email\":\"chaos@example.com\",\"creditLimit\":10}"
        switch kind {
        case .garbage:
            return KafkaProducerMessage(topic: kind.topic, key: Array(key.utf8), value: [0xFF, 0x00, 0xC3, 0x28, 0x7B])
        case .missingAttributes:
            return KafkaProducerMessage(
                topic: kind.topic, key: Array(key.utf8), value: Array(registration.utf8),
                headers: [
                    KafkaHeader(key: "ce_specversion", string: "1.0"),
                    KafkaHeader(key: "ce_type", string: "customer.registered.v1"),
                ])
        case .unknownType:
            return make("chaos.unknown.v1", "{}")
        case .commandContractViolation:
            return make("order.place.v1", "{\"orderId\":\"not-a-uuid\",\"items\":[]}")
        case .eventContractViolation:
            return make("customer.registered.v1", "{\"customerId\":\"\(key)\",\"creditLimit\":\"lots\"}")
        case .commandWrongTopic:
            return make("customer.register.v1", registration)
        case .eventWrongTopic:
            return make("stock.released.v1", "{\"orderId\":\"\(key)\"}")
        case .oversized:
            let padding = String(repeating: "x", count: oversizedBytes)
            return make("stock.released.v1", "{\"orderId\":\"\(key)\",\"padding\":\"\(padding)\"}")
        case .nulKey:
            return make("order.place.v1", "{}", rawKey: Array("chaos".utf8) + [0] + Array(key.utf8))
        }
    }
}
