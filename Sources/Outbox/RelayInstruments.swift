import Foundation
import Metrics

/// The relay's swift-metrics instruments (`choreo_relay_*`, label `database`), recorded
/// alongside `OutboxRelayMetrics`; docs/observability.md lists them.
struct RelayInstruments: Sendable {
    let published: Counter
    let failed: Counter
    let batches: Counter
    let producerRestarts: Counter
    let backlog: Gauge
    let oldestPendingAge: Gauge
    let blockedKeys: Gauge
    let active: Gauge
    let inFlightBytes: Gauge

    init(database: String) {
        let dimensions = [("database", database)]
        published = Counter(label: "choreo_relay_published_total", dimensions: dimensions)
        failed = Counter(label: "choreo_relay_failed_total", dimensions: dimensions)
        batches = Counter(label: "choreo_relay_batches_total", dimensions: dimensions)
        producerRestarts = Counter(label: "choreo_relay_producer_restarts_total", dimensions: dimensions)
        backlog = Gauge(label: "choreo_relay_backlog_rows", dimensions: dimensions)
        oldestPendingAge = Gauge(label: "choreo_relay_oldest_pending_age_seconds", dimensions: dimensions)
        blockedKeys = Gauge(label: "choreo_relay_blocked_keys", dimensions: dimensions)
        active = Gauge(label: "choreo_relay_active", dimensions: dimensions)
        inFlightBytes = Gauge(label: "choreo_relay_in_flight_bytes", dimensions: dimensions)
        active.record(0)
    }
}
