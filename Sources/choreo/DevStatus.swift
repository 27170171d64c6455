import Foundation
import Operations

/// One reading of the running system for the `dev up` status panel and summary, from the
/// metrics its processes export (docs/observability.md) and the driver's count of sent
/// commands. Pure: built from samples.
struct DevStatus: Sendable {
    /// `order.place` commands the driver sent.
    var published = 0
    var placed = 0
    var confirmed = 0
    var cancelled = 0
    /// Completion latency in ms, from `choreo_orders_completion_latency_seconds` (bucketed).
    var latency: (p50: Double, p99: Double)?
    /// Rows waiting in each outbox, by database (`choreo_relay_backlog_rows`).
    var outboxBacklog: [String: Int] = [:]
    /// Each group's lag (`choreo_consumer_lag` summed over its partitions).
    var lag: [String: Int64] = [:]
    /// Dead letters delivered by the groups (`choreo_consumer_dead_lettered_total`).
    var deadLettered = 0
    /// Records in the dead-letter store and of those pending (`choreo_dead_letters`), when
    /// the worker reports them.
    var stored: (total: Int, pending: Int)?

    init(published: Int, samples: MetricsSamples) {
        self.published = published
        placed = Int(samples.sum("choreo_orders_placed_total"))
        confirmed = Int(samples.sum("choreo_orders_confirmed_total"))
        cancelled = Int(samples.sum("choreo_orders_cancelled_total"))
        let name = "choreo_orders_completion_latency_seconds"
        if let p50 = samples.quantile(0.5, ofHistogram: name), let p99 = samples.quantile(0.99, ofHistogram: name) {
            latency = (p50 * 1000, p99 * 1000)
        }
        // Every relay of a database reports its backlog; the active one's is the largest.
        for sample in samples.matching("choreo_relay_backlog_rows") {
            guard let database = sample.labels["database"] else { continue }
            outboxBacklog[database] = max(outboxBacklog[database] ?? 0, Int(sample.value))
        }
        for sample in samples.matching("choreo_consumer_lag") {
            guard let group = sample.labels["group"] else { continue }
            lag[group, default: 0] += Int64(sample.value)
        }
        deadLettered = Int(samples.sum("choreo_consumer_dead_lettered_total"))
        if !samples.matching("choreo_dead_letters").isEmpty {
            stored = (
                Int(samples.sum("choreo_dead_letters")), Int(samples.sum("choreo_dead_letters", ["status": "pending"]))
            )
        }
    }

    /// The reading in labelled parts: orders, completion latency, outbox backlog, lag,
    /// dead letters; rates against `previous`, `seconds` earlier.
    func sections(previous: DevStatus?, seconds: Double) -> [(label: String, text: String)] {
        func rate(_ now: Int, _ before: Int?) -> String {
            String(format: "%.1f/s", Double(now - (before ?? 0)) / max(seconds, 0.001))
        }
        let backlog = outboxBacklog.values.reduce(0, +)
        let busiest = outboxBacklog.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let store = stored.map { " (store \($0.total), pending \($0.pending))" } ?? ""
        return [
            (
                "orders",
                "sent \(published) (\(rate(published, previous?.published))) placed \(placed) (\(rate(placed, previous?.placed))) confirmed \(confirmed) (\(rate(confirmed, previous?.confirmed))) cancelled \(cancelled) (\(rate(cancelled, previous?.cancelled)))"
            ),
            ("completion", latency.map { String(format: "p50 %.0f ms p99 %.0f ms", $0.p50, $0.p99) } ?? "p50 - p99 -"),
            ("outbox backlog", "\(backlog)" + (busiest.isEmpty ? "" : " (\(busiest.joined(separator: ", ")))")),
            ("lag", lag.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
            ("dead letters", "\(deadLettered)" + store),
        ]
    }

    /// One line: `orders sent 400 (40.0/s) … | completion p50 … | outbox backlog 0 | lag … | dead letters 0`.
    func line(previous: DevStatus?, seconds: Double) -> String {
        sections(previous: previous, seconds: seconds).map { "\($0.label) \($0.text)" }.joined(separator: " | ")
    }

    /// The panel shown on a terminal: one labelled line per part.
    func panel(previous: DevStatus?, seconds: Double, elapsed: Double) -> [String] {
        ["choreo dev up — \(Int(elapsed)) s"]
            + sections(previous: previous, seconds: seconds).map {
                "  " + $0.label.padding(16) + $0.text
            }
    }
}
