import ArgumentParser
import Foundation
import Logging
import Synchronization

/// `choreo bench e2e`: the whole reference system in one `dev up`-style process on the
/// embedded broker: completion latency at 200 orders/s offered and completed orders/s
/// at full offered load.
struct BenchE2ECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "The reference system end to end: completion latency (p50/p99) and completed orders/s.",
        discussion: """
            Runs what `choreo dev up` runs (embedded broker, every service with its database,
            relay and consumer groups, in this process) and seeds it. Then a latency run:
            --offered orders/s for --warmup seconds (not measured: rebalances, first fetches
            and metadata) and --seconds more, measured. Then a load run: --load-rate orders/s for
            --load-seconds; its rate is the orders completed while the load is offered, after
            --load-ramp seconds. Completion is the order.place command's envelope time to the
            commit of the order's terminal state, both read from the Orders database. The
            service databases are scratch ones, `choreo_bench_<service>` on the server of each
            service's own database (see `choreo service run --help`), dropped and created empty
            at start so that no earlier run's rows weigh on the figures.
            The last line is JSON.
            """
    )

    @OptionGroup var root: RootOptions

    @Option(help: "Orders/s offered in the latency run.")
    var offered: Int = 200

    @Option(help: "Seconds of the latency run not measured.")
    var warmup: Double = 10

    @Option(help: "Seconds of the latency run measured.")
    var seconds: Double = 30

    @Option(help: "Orders/s offered in the load run (above what the system completes).")
    var loadRate: Int = 1_500

    @Option(help: "Seconds of the load run.")
    var loadSeconds: Double = 20

    @Option(help: "Seconds at the start of the load run left out of its rate.")
    var loadRamp: Double = 5

    @Option(help: "Seconds each run may take to settle after its traffic.")
    var settle: Double = 180

    @Option(help: "Customers to register at start.")
    var customers: Int = 40

    func validate() throws {
        guard (1...100_000).contains(offered), (1...100_000).contains(loadRate) else {
            throw ValidationError("--offered and --load-rate must be 1…100000")
        }
        guard warmup >= 0, seconds > 0, loadSeconds > loadRamp, loadRamp >= 0, settle >= 0 else {
            throw ValidationError("--seconds and --load-seconds must be positive, --load-ramp below --load-seconds")
        }
        guard (1...10_000).contains(customers) else { throw ValidationError("--customers must be 1…10000") }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let logger = Logger(label: "choreo.bench.e2e")
        let plan = E2EBenchDriver.Plan(
            offered: offered, warmup: .milliseconds(Int(warmup * 1000)), measure: .milliseconds(Int(seconds * 1000)),
            loadRate: loadRate, loadSeconds: .milliseconds(Int(loadSeconds * 1000)),
            loadRamp: .milliseconds(Int(loadRamp * 1000)), settle: .milliseconds(Int(settle * 1000)))
        let settings = DevDriver.Settings(
            ordersPerSecond: 0, duration: nil, settle: plan.settle, statusInterval: .seconds(5), customers: customers)
        let driver = Mutex<E2EBenchDriver?>(nil)
        try await DevSystem(root: root.projectRoot, brokers: 1, processes: false, scratchDatabases: true).run(
            logger: logger
        ) { parts in
            let made = E2EBenchDriver(dev: DevDriver(settings: settings, parts: parts, logger: logger), plan: plan)
            driver.withLock { $0 = made }
            return made
        }
        guard let figures = driver.withLock({ $0 })?.figures else {
            throw ValidationError("the benchmark was interrupted before it finished")
        }
        let round = { (value: Double) in (value * 10).rounded() / 10 }
        print(
            try JSONLine.render([
                "benchmark": "e2e", "orders_per_s": Int(figures.loadOverallPerSecond.rounded()),
                "offered_per_s": offered,
                "p50_ms": round(figures.p50), "p99_ms": round(figures.p99), "latency_orders": figures.latencyOrders,
                "warmup_s": warmup, "load_offered_per_s": loadRate, "load_s": loadSeconds,
                "load_completed": figures.loadCompleted,
                "orders_per_s_while_offered": Int(figures.ordersPerSecond.rounded()),
                "settled": figures.latencySettled && figures.loadSettled,
            ]))
    }
}
