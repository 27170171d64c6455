import Foundation
import Metrics

/// The Orders service's domain metrics; docs/observability.md lists them. Recorded after
/// the handler's transaction committed (`HandlerContext.afterCommit`), so a batch redone
/// after a neighbour's failure records each order once. Each call resolves its instrument through `MetricsSystem`, so the bootstrap may come later.
enum OrderMetrics {
    static func placed() { Counter(label: "choreo_orders_placed_total").increment() }
    static func confirmed() { Counter(label: "choreo_orders_confirmed_total").increment() }

    static func cancelled(reason: String) {
        Counter(label: "choreo_orders_cancelled_total", dimensions: [("reason", boundedReason(reason))]).increment()
    }

    /// From the `order.place` command to the order's confirmation or cancellation.
    static func completed(outcome: String, requestedAt: Date) {
        let seconds = max(0, Date().timeIntervalSince(requestedAt))
        Timer(label: "choreo_orders_completion_latency_seconds", dimensions: [("outcome", outcome)])
            .recordNanoseconds(Int64(seconds * 1_000_000_000))
    }

    /// Reasons are the domain's short codes; anything else is counted as `other` so a label
    /// never grows without bound.
    static func boundedReason(_ reason: String) -> String {
        reason.count <= 40 && reason.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            ? reason : "other"
    }
}
