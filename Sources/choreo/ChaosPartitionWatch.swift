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
        /// Each partition's committed offset at the last reading.
        var lastCommitted: [GroupOffsets.Position: Int64] = [:]
        /// When each group last committed progress on any partition.
        var lastProgress: [String: ContinuousClock.Instant] = [:]
        var longest: Duration = .zero
        var longestAt: GroupOffsets.Position?
        /// Of the longest block: the partition's lag at its end, and whether the group
        /// committed progress on another partition meanwhile (a partition left behind
        /// rather than a whole group stopped).
        var longestLag: Int64 = 0
        var longestGroupProgressed = false
        var longestSince: ContinuousClock.Instant?
        var longestUntil: ContinuousClock.Instant?
    }

    /// What the longest block was like.
    struct Longest: Sendable {
        var seconds: Double
        var position: GroupOffsets.Position?
        var lag: Int64
        var groupProgressed: Bool
        /// The block's start and end (its last reading).
        var since: ContinuousClock.Instant?
        var until: ContinuousClock.Instant?
    }

    init(admin: KafkaAdmin, groups: [String: [String]], interval: Duration = .seconds(1)) {
        self.admin = admin
        self.groups = groups
        self.interval = interval
    }

    /// The longest blocked time seen, in seconds, where, and what it was like.
    var longest: Longest {
        state.withLock {
            Longest(
                seconds: $0.longest.seconds, position: $0.longestAt, lag: $0.longestLag,
                groupProgressed: $0.longestGroupProgressed, since: $0.longestSince, until: $0.longestUntil)
        }
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
            for (position, committed) in offsets.committed {
                if let last = state.lastCommitted[position], last != committed {
                    state.lastProgress[position.group] = now
                }
                state.lastCommitted[position] = committed
            }
            for (position, lag) in offsets.lag {
                let committed = offsets.committed[position] ?? 0
                guard lag > 0 else {
                    state.stuckSince[position] = nil
                    continue
                }
                if let stuck = state.stuckSince[position], stuck.offset == committed {
                    let blocked = now - stuck.since
                    if blocked > state.longest {
                        (state.longest, state.longestAt, state.longestLag) = (blocked, position, lag)
                        (state.longestSince, state.longestUntil) = (stuck.since, now)
                        state.longestGroupProgressed = (state.lastProgress[position.group] ?? stuck.since) > stuck.since
                    }
                } else {
                    state.stuckSince[position] = (committed, now)
                }
            }
        }
    }
}
