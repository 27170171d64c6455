import Foundation
import Kafka
import Logging
import Synchronization

/// Watches, through a chaos run, how long any group's partition stays blocked: messages
/// waiting (lag) while the group's committed offset does not move. Reads every `interval`;
/// a reading that fails (brokers down) is skipped, so a partition stays blocked across it.
final class ChaosPartitionWatch: Sendable {
    let admin: KafkaAdmin
    let groups: [String: [String]]
    let interval: Duration
    private let state = Mutex(State())

    private struct State {
        /// Since when each lagging partition has had its current committed offset.
        var stuckSince: [GroupOffsets.Position: (offset: Int64, since: ContinuousClock.Instant)] = [:]
        var longest: Duration = .zero
        var longestAt: GroupOffsets.Position?
    }

    init(admin: KafkaAdmin, groups: [String: [String]], interval: Duration = .seconds(1)) {
        self.admin = admin
        self.groups = groups
        self.interval = interval
    }

    /// The longest blocked time seen, in seconds, and where.
    var longest: (seconds: Double, position: GroupOffsets.Position?) {
        state.withLock { ($0.longest.seconds, $0.longestAt) }
    }

    /// Reads until cancelled.
    func run() async {
        while !Task.isCancelled {
            if let offsets = try? await GroupOffsets.read(admin: admin, groups: groups) { observe(offsets) }
            try? await Task.sleep(for: interval)
        }
    }

    func observe(_ offsets: GroupOffsets, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            for (position, lag) in offsets.lag {
                let committed = offsets.committed[position] ?? 0
                guard lag > 0 else {
                    state.stuckSince[position] = nil
                    continue
                }
                if let stuck = state.stuckSince[position], stuck.offset == committed {
                    let blocked = now - stuck.since
                    if blocked > state.longest { (state.longest, state.longestAt) = (blocked, position) }
                } else {
                    state.stuckSince[position] = (committed, now)
                }
            }
        }
    }
}
