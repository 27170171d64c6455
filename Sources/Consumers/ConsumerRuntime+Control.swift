import Contracts
import Foundation
import Kafka
import Postgres

extension ConsumerRuntime {
    /// The control message `message` carries, when it is one and arrived on this group's own
    /// replay topic (the only place control messages are accepted). A malformed control
    /// message there is logged and skipped. `nil` for every other message.
    func control(in message: KafkaConsumerMessage) -> ReplayControl?? {
        guard message.topic == RetryPolicy.replayTopic(group: configuration.group),
            ReplayControl.isControl(message.headers)
        else { return nil }
        guard let control = ReplayControl(message) else {
            logger.warning(
                "malformed control message on the replay topic skipped",
                metadata: [
                    "group": "\(configuration.group)", "partition": "\(message.partition)",
                    "offset": "\(message.offset)",
                ])
            return .some(nil)
        }
        return control
    }

    /// Applies control messages on the group's database, each in its own transaction, with
    /// ``ParkedKeys``; a released key's parked events are then applied in order by the next
    /// orphan release, which runs right away. Idempotent: a redelivered control finds the
    /// blocker gone and does nothing.
    func apply(_ controls: [ReplayControl], state: inout LoopState) async throws {
        guard !controls.isEmpty else { return }
        guard configuration.preserveKeyOrder else {
            logger.info(
                "control messages ignored: the group does not preserve key order",
                metadata: ["group": "\(configuration.group)", "count": "\(controls.count)"])
            return
        }
        let database = try await connection(&state)
        for control in controls {
            let outcome: String
            switch control.action {
            case .release:
                let released = try await ParkedKeys.release(
                    group: configuration.group, key: control.key, blockingEvent: control.blockingEvent, on: database)
                outcome = released ? "released" : "not blocked by that event"
            case .discard:
                let dropped = try await ParkedKeys.discard(
                    group: configuration.group, key: control.key, blockingEvent: control.blockingEvent, on: database)
                outcome = dropped.map { "discarded with \($0) parked event(s)" } ?? "not blocked by that event"
            }
            logger.info(
                "control message applied",
                metadata: [
                    "group": "\(configuration.group)", "action": "\(control.action.rawValue)",
                    "blockingEvent": "\(UUIDText.lowercased(control.blockingEvent))", "outcome": "\(outcome)",
                ])
        }
        state.lastOrphanCheck = nil
    }
}
