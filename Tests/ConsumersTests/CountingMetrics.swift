import CoreMetrics
import Synchronization

/// A swift-metrics backend for one test, bound to its task with `withMetricsFactory` (so
/// tests running in parallel do not share it): counters keep their totals by label and
/// `group` dimension; recorders and timers are discarded.
final class CountingMetrics: MetricsFactory, Sendable {
    final class Total: CounterHandler, Sendable {
        let value = Atomic<Int64>(0)
        func increment(by amount: Int64) { value.add(amount, ordering: .relaxed) }
        func reset() { value.store(0, ordering: .relaxed) }
    }

    final class Discard: RecorderHandler, TimerHandler, Sendable {
        func record(_ value: Int64) {}
        func record(_ value: Double) {}
        func recordNanoseconds(_ duration: Int64) {}
    }

    private let totals = Mutex<[String: Total]>([:])

    /// The total of the counter `label` of `group` (0 when it was never created).
    func total(_ label: String, group: String) -> Int64 {
        totals.withLock { $0["\(label){\(group)}"] }?.value.load(ordering: .relaxed) ?? 0
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let group = dimensions.first { $0.0 == "group" }?.1 ?? ""
        return totals.withLock { totals in
            if let total = totals["\(label){\(group)}"] { return total }
            let total = Total()
            totals["\(label){\(group)}"] = total
            return total
        }
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Discard()
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { Discard() }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
