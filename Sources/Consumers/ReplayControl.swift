import Contracts
import Foundation
import Kafka

/// A control message on a group's `<group>.replay` topic, for order-preserving groups: it
/// tells the group's own runtime to release (or discard) a key parked behind a blocker
/// whose dead letter was discarded. The dead-letter tool sends it, so it never needs access
/// to a service's database; the runtime applies it with ``ParkedKeys`` on its own database.
///
/// The only owner of the `choreo_control*` headers. A control message has the parked key as
/// its Kafka key, no value, and the headers `choreo_control` (`release` or `discard`) and
/// `choreo_control_blocking_event` (the blocker's event id): the key is released only while
/// that event still blocks it. The runtime accepts control messages only on its own replay
/// topic; anywhere else the header means nothing (the message is classified like any other,
/// and `choreo_*` headers are reserved: publishers cannot set them).
public struct ReplayControl: Sendable, Equatable {
    public enum Header {
        public static let action = "choreo_control"
        public static let blockingEvent = "choreo_control_blocking_event"
    }

    public enum Action: String, Sendable, CaseIterable {
        /// Remove the blocker; the key's parked events are then applied in order.
        case release
        /// Remove the blocker and drop every event parked behind it (never applied).
        case discard
    }

    public var action: Action
    /// The parked key.
    public var key: String
    /// The event that must still block `key` for the control to act.
    public var blockingEvent: UUID

    public init(action: Action, key: String, blockingEvent: UUID) {
        self.action = action
        self.key = key
        self.blockingEvent = blockingEvent
    }

    /// The control message for `group`: on its replay topic, keyed by the parked key.
    public func message(group: String) -> KafkaProducerMessage {
        KafkaProducerMessage(
            topic: RetryPolicy.replayTopic(group: group), partition: nil, key: Array(key.utf8), value: nil,
            headers: [
                KafkaHeader(key: Header.action, string: action.rawValue),
                KafkaHeader(key: Header.blockingEvent, string: UUIDText.lowercased(blockingEvent)),
            ])
    }

    /// Whether `headers` mark a control message (well-formed or not).
    public static func isControl(_ headers: [KafkaHeader]) -> Bool {
        headers.contains { $0.key == Header.action }
    }

    /// Reads a control message; `nil` when it is not one or is malformed.
    public init?(_ message: KafkaConsumerMessage) {
        func value(_ name: String) -> String? { message.headers.last { $0.key == name }?.stringValue }
        guard let action = value(Header.action).flatMap(Action.init(rawValue:)),
            let blocker = value(Header.blockingEvent).flatMap({ UUIDText.parse($0) }),
            let keyBytes = message.key, let key = String(validating: keyBytes, as: UTF8.self), !key.isEmpty
        else { return nil }
        self.init(action: action, key: key, blockingEvent: blocker)
    }
}
