import Consumers
import DeadLetters
import Foundation
import Kafka
import Logging

/// `choreo chaos --replay-poison`: the poison the run injected, found in the dead-letter
/// store (by the group and original coordinates), put through the dead-letter tool's own
/// paths — replayed as `choreo dlq replay ID --edit DATA` does when `ChaosPoison` can repair
/// its data, discarded as `choreo dlq discard ID --reason …` does otherwise — and the
/// replayed records replayed again as stored (their value is now the edited data).
struct ChaosPoisonReplay {
    let store: DeadLetterStore
    let replayer: DeadLetterReplayer
    let specs: [ConsumerGroupSpec]
    let producer: KafkaProducer
    let logger: Logger

    /// What the first pass did.
    struct FirstPass: Sendable {
        /// Records replayed with repaired data.
        var replayed: [Int64] = []
        /// Records discarded as beyond repair.
        var discarded = 0
    }

    /// Records in the store.
    func storedCount() async throws -> Int {
        Int(try await store.stats().total)
    }

    /// Every pending record of `poison`, with the poison's kind.
    func records(of poison: [ChaosInjector.PoisonSent]) async throws -> [(DeadLetterRecord, ChaosPoison.Kind)] {
        var kinds: [String: ChaosPoison.Kind] = [:]
        for sent in poison {
            for group in sent.groups { kinds["\(group)/\(sent.topic)/\(sent.partition)/\(sent.offset)"] = sent.kind }
        }
        return try await store.list(DeadLetterFilter(status: .pending, limit: 1_000_000)).compactMap { record in
            kinds["\(record.group)/\(record.originalTopic)/\(record.originalPartition)/\(record.originalOffset)"].map {
                (record, $0)
            }
        }
    }

    /// Replays each poison record whose data can be repaired, with that data (`customer`:
    /// the customer a repaired order is for), and discards the others.
    func first(_ poison: [ChaosInjector.PoisonSent], customer: String?) async throws -> FirstPass {
        var pass = FirstPass()
        var options = ReplayOptions(actor: DlqActor.current)
        for (record, kind) in try await records(of: poison) {
            if let key = record.keyText,
                let data = ChaosPoison.repairedData(
                    kind, key: key, customer: customer, time: record.eventTime ?? record.failedAt)
            {
                options.editedData = data
                pass.replayed += try await replayer.replay([record], options: options).map(\.recordID)
            } else {
                try await DlqMark.apply(
                    [record.id], status: .discarded, action: "discard",
                    reason: "chaos poison (\(kind.rawValue)): no edit of its data makes it valid", store: store,
                    output: { logger.debug("\($0)") }
                ) { record in
                    try await DlqDiscardCommand.releaseParked(by: record, specs: specs, dropParked: false) {
                        producer
                    }
                }
                pass.discarded += 1
            }
        }
        return pass
    }

    /// Replays `ids` again, as stored.
    func again(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        _ = try await replayer.replay(try await store.records(ids), options: ReplayOptions(actor: DlqActor.current))
    }
}
