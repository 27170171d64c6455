import Foundation
import Logging
import Orders
import ServiceLifecycle
import Synchronization

/// The part of `choreo bench e2e` that drives the system, through a `DevDriver` (seeding,
/// sending, settling): a latency run at `offered` orders/s (the first `warmup` seconds
/// not measured), then a load run at `loadRate` orders/s. Every figure comes from the
/// Orders database: an order's completion is its `completed_at` (set by the transaction
/// that commits its terminal state) minus its `requested_at` (the `order.place` command's
/// envelope time). The figures are in `figures` once `run()` returned.
final class E2EBenchDriver: Service, Sendable {
    struct Plan: Sendable {
        var offered: Int
        var warmup: Duration
        var measure: Duration
        var loadRate: Int
        var loadSeconds: Duration
        /// The start of the load run left out of its rate (the system filling up).
        var loadRamp: Duration
        var settle: Duration
    }

    struct Figures: Sendable {
        var p50 = 0.0
        var p99 = 0.0
        var latencyOrders = 0
        var latencySettled = false
        var ordersPerSecond = 0.0
        var loadCompleted = 0
        var loadSettled = false
        /// From the load run's first command to its last completion, all its orders.
        var loadOverallPerSecond = 0.0
    }

    let dev: DevDriver
    let plan: Plan
    private let result = Mutex<Figures?>(nil)

    init(dev: DevDriver, plan: Plan) {
        self.dev = dev
        self.plan = plan
    }

    var figures: Figures? { result.withLock { $0 } }

    func run() async throws {
        try await dev.withClients { connections, producer, _ in
            try await cancelWhenGracefulShutdown {
                let traffic = DevTraffic(customers: self.dev.settings.customers)
                let start = Date()
                try await self.dev.seed(traffic, connections: connections, producer: producer)
                var figures = Figures()

                say(
                    "latency run: \(self.plan.offered) orders/s, \(Int(self.plan.warmup.seconds)) s warm-up + \(Int(self.plan.measure.seconds)) s measured"
                )
                try await self.dev.sendOrders(
                    traffic, rate: self.plan.offered, for: self.plan.warmup, producer: producer)
                let measured = Date()
                try await self.dev.sendOrders(
                    traffic, rate: self.plan.offered, for: self.plan.measure, producer: producer)
                figures.latencySettled = try await self.dev.settle(
                    since: start, connections: connections, within: self.plan.settle)
                let orders = try await connections.connection("orders")
                if let latency = try await OrderFacts.completionLatency(since: measured, on: orders) {
                    (figures.p50, figures.p99) = latency
                }
                figures.latencyOrders = try await OrderFacts.completions(
                    since: measured, from: measured, to: Date().addingTimeInterval(86_400), on: orders
                ).count
                say(
                    String(
                        format: "latency: %d orders, p50 %.1f ms, p99 %.1f ms", figures.latencyOrders, figures.p50,
                        figures.p99))

                say("load run: \(self.plan.loadRate) orders/s offered for \(Int(self.plan.loadSeconds.seconds)) s")
                let loadStart = Date()
                try await self.dev.sendOrders(
                    traffic, rate: self.plan.loadRate, for: self.plan.loadSeconds, producer: producer)
                let loadEnd = Date()
                figures.loadSettled = try await self.dev.settle(
                    since: start, connections: connections, within: self.plan.settle)
                let rampEnd = loadStart.addingTimeInterval(self.plan.loadRamp.seconds)
                let sustained = try await OrderFacts.completions(
                    since: loadStart, from: rampEnd, to: loadEnd, on: orders)
                figures.ordersPerSecond = Double(sustained.count) / max(loadEnd.timeIntervalSince(rampEnd), 0.001)
                let all = try await OrderFacts.completions(
                    since: loadStart, from: loadStart, to: Date().addingTimeInterval(86_400), on: orders)
                figures.loadCompleted = all.count
                if let last = all.last {
                    figures.loadOverallPerSecond = Double(all.count) / max(last.timeIntervalSince(loadStart), 0.001)
                }
                say(
                    String(
                        format:
                            "load: %.0f orders/s completed while offered (after %d s ramp); %d completed, %.0f/s first command to last completion",
                        figures.ordersPerSecond, Int(self.plan.loadRamp.seconds), figures.loadCompleted,
                        figures.loadOverallPerSecond))
                self.result.withLock { $0 = figures }
            }
        }
    }
}
