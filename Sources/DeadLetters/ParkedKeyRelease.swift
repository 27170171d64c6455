import Consumers
import Contracts
import Foundation
import Kafka

/// Releases keys that an order-preserving group parked behind a dead letter the operator
/// discards: through the group itself, with a ``ReplayControl`` message on its replay topic,
/// so this tool never touches a service's database. (Replaying the blocker needs nothing:
/// when the replayed event — same `ce_id` — succeeds, the group releases the key itself.)
public enum ParkedKeyRelease {
    /// The control for `record`: when its group (`spec`) preserves key order and the record
    /// has a key and an event id (the id of the key's blocker); otherwise `nil`.
    public static func control(for record: DeadLetterRecord, spec: ConsumerGroupSpec?, action: ReplayControl.Action)
        -> ReplayControl?
    {
        guard spec?.preserveKeyOrder == true, let key = record.keyText, !key.isEmpty,
            let blocker = record.eventID.flatMap({ UUIDText.parse($0) })
        else { return nil }
        return ReplayControl(action: action, key: key, blockingEvent: blocker)
    }

    /// `key` with control characters as `\u0000` text: the outcome goes into the audit's
    /// jsonb detail, which refuses a NUL character (SQLSTATE 22P05).
    static func printable(_ key: String) -> String {
        key.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7F ? String(format: "\\u%04x", scalar.value) : String(scalar)
        }.joined()
    }

    /// Publishes `control` to `group`'s replay topic; returns the audit outcome.
    /// - Throws: `DeadLetterError.publishFailed` when it is not delivered.
    public static func send(_ control: ReplayControl, group: String, producer: KafkaProducer) async throws -> String {
        let message = control.message(group: group)
        do {
            let report = try await producer.send(message)
            return
                "\(control.action.rawValue) of key \(printable(control.key)) (blocker \(UUIDText.lowercased(control.blockingEvent))) sent to \(message.topic)[\(report.partition)]@\(report.offset)"
        } catch {
            throw DeadLetterError(
                code: .publishFailed, message: "the \(control.action.rawValue) control for \(group) was not delivered",
                underlying: error)
        }
    }
}
