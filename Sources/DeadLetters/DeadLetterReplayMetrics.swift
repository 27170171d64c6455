import Metrics

/// `choreo_dead_letter_replays_total{outcome,destination,trigger}`: replays of stored dead
/// letters, counted where the replayer learns each message's delivery report.
/// - `outcome`: `published` or `failed`;
/// - `destination`: `replay-topic` (the group's replay topic) or `original-topic` (`--to-topic`);
/// - `trigger`: `manual` (`choreo dlq replay`) or `redrive` (the worker's automatic re-drive).
enum DeadLetterReplayMetrics {
    static func record(published: Int, failed: Int, options: ReplayOptions) {
        let destination = options.toOriginalTopic ? "original-topic" : "replay-topic"
        let trigger = options.automatic ? "redrive" : "manual"
        for (outcome, count) in [("published", published), ("failed", failed)] where count > 0 {
            Counter(
                label: "choreo_dead_letter_replays_total",
                dimensions: [("outcome", outcome), ("destination", destination), ("trigger", trigger)]
            ).increment(by: count)
        }
    }
}
