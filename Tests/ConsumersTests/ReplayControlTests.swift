import Contracts
import Foundation
import Kafka
import Testing

@testable import Consumers

@Suite("Replay control messages (choreo_control): format (pure)")
struct ReplayControlTests {
    static func consumed(_ message: KafkaProducerMessage) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: message.topic, partition: 0, offset: 0, key: message.key, value: message.value,
            headers: message.headers, timestamp: nil)
    }

    @Test("a control goes to the group's replay topic, keyed by the parked key, and reads back the same")
    func roundTrip() throws {
        let blocker = UUID()
        for action in ReplayControl.Action.allCases {
            let control = ReplayControl(action: action, key: "customer-7", blockingEvent: blocker)
            let message = control.message(group: "orders-service")
            #expect(message.topic == "orders-service.replay")
            #expect(message.key == Array("customer-7".utf8) && message.value == nil)
            #expect(message.headers.allSatisfy { ReservedHeaders.isReserved($0.key) }, "publishers cannot forge them")
            #expect(ReplayControl(Self.consumed(message)) == control)
        }
    }

    @Test("malformed controls do not decode: unknown action, bad blocker id, no key")
    func malformed() {
        let good = ReplayControl(action: .release, key: "k", blockingEvent: UUID()).message(group: "g")
        var unknown = Self.consumed(good)
        unknown.headers[0] = KafkaHeader(key: ReplayControl.Header.action, string: "release-all")
        #expect(ReplayControl(unknown) == nil)
        var badID = Self.consumed(good)
        badID.headers[1] = KafkaHeader(key: ReplayControl.Header.blockingEvent, string: "not-a-uuid")
        #expect(ReplayControl(badID) == nil)
        var keyless = Self.consumed(good)
        keyless.key = nil
        #expect(ReplayControl(keyless) == nil)
        #expect(ReplayControl.isControl(unknown.headers) && !ReplayControl.isControl([]))
    }
}
