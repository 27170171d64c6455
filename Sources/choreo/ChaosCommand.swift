import ArgumentParser
import Foundation
import Kafka
import Logging
import NetworkFaults
import Outbox
import Postgres
import Services
import Synchronization
import Topics

/// `choreo chaos`: the reference system under many faults at once, then verified.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract:
            "Run the reference system as separate processes, drive orders, inject faults from a seeded schedule, then settle, verify and report.",
        discussion: """
            The embedded broker (--brokers brokers) runs in this process, so it can take brokers
            down and inject request errors and latency; every service runs as its own
            `choreo service run` child process, its database reached through a TCP proxy here
            (when `partition` is on). Orders are driven as by `choreo dev up` for --duration
            seconds after seeding; the faults run over the same time, drawn from --seed (the same
            seed gives the same schedule; --schedule-only prints it). Then every fault is
            undone, the run waits up to --settle-timeout seconds for the system to settle (no
            open order, empty outboxes, no consumer lag, every invariant of `choreo verify`
            holding), reads the dead-letter topics and prints a report; with --json one JSON
            object as the last line. Exits 1 on an invariant violation, a lost event, a
            duplicate effect, poison not dead-lettered with its expected reason, another
            dead letter, or a system that did not settle.

            The dead-letter worker (`choreo dlq worker`) runs as a child process too, on the
            run's own operations database (CHOREO_CHAOS_OPS_DATABASE_URL, else choreo_chaos_ops
            on the services' server; emptied at start). With --replay-poison, once the run
            settled, the poison in the store is replayed with repaired data where an edit can
            make it valid (`choreo dlq replay --edit`) and discarded otherwise (`choreo dlq
            discard`); the system must settle and verify again, and a second replay of the same
            records must change no count in any service table or the store.

            Faults (--faults, comma-separated names, `default` or `all`): kill, broker-down,
            broker-errors, pg-restart, partition, poison, duplicates. `default` is every one but
            pg-restart, which restarts the whole PostgreSQL server (--pg-restart-command) and is
            only run when named. See docs/reliability.md.
            """
    )

    @OptionGroup var root: RootOptions

    @Option(help: "Seconds of traffic and faults.")
    var duration: Double = 60

    @Option(help: "order.place commands sent per second.")
    var ordersPerSecond: Int = 10

    @Option(help: "Seed of the fault schedule (default: random, printed).")
    var seed: UInt64?

    @Option(help: "Faults to inject: comma-separated names, `default` or `all`.")
    var faults: String = "default"

    @Option(help: "Seconds to wait, after the faults, for the system to settle.")
    var settleTimeout: Double = 180

    @Option(help: "Brokers in the embedded cluster (at least 3).")
    var brokers: Int = 3

    @Option(help: "Customers to register at start.")
    var customers: Int = 20

    @Option(help: "The shell command that restarts PostgreSQL (pg-restart).")
    var pgRestartCommand = "pg_ctlcluster 15 main restart -m fast"

    @Flag(
        help:
            "After the run settled and verified: replay the dead-lettered poison with valid data where possible (as `choreo dlq replay --edit`), discard the rest, settle and verify again, then replay again and check that nothing changes."
    )
    var replayPoison = false

    @Flag(help: "Print the fault schedule (one JSON object per fault) and exit.")
    var scheduleOnly = false

    @Flag(help: "Print the report's JSON object as the last line.")
    var json = false

    func validate() throws {
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be 0…86400 seconds") }
        guard (1...10_000).contains(ordersPerSecond) else {
            throw ValidationError("--orders-per-second must be 1…10000")
        }
        guard settleTimeout > 0, settleTimeout <= 3600 else {
            throw ValidationError("--settle-timeout must be 0…3600 seconds")
        }
        guard (3...9).contains(brokers) else { throw ValidationError("--brokers must be 3…9") }
        guard (1...10_000).contains(customers) else { throw ValidationError("--customers must be 1…10000") }
        _ = try ChaosFaultKind.parse(faults)
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let logger = Logger(label: "choreo.chaos")
        let kinds = try ChaosFaultKind.parse(faults)
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let services = try ServiceHandlers.catalog().services.map(\.name)
        let schedule = ChaosSchedule.make(
            seed: seed, duration: duration, kinds: kinds, services: services, brokers: brokers)
        if scheduleOnly {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for fault in schedule { print(String(decoding: try encoder.encode(fault), as: UTF8.self)) }
            return
        }
        say(
            "chaos: seed \(seed), \(schedule.count) faults over \(Int(duration)) s: \(kinds.map(\.rawValue).joined(separator: ","))"
        )
        // Interrupted (Ctrl-C, SIGTERM): no service process outlives this one.
        let signals = [SIGINT, SIGTERM].map { (signal: Int32) -> any DispatchSourceSignal in
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                ChaosProcesses.killAllNow()
                Foundation.exit(130)
            }
            source.resume()
            return source
        }
        defer { for source in signals { source.cancel() } }
        let run = try await ChaosRun.start(
            root: root.projectRoot, brokers: brokers, proxied: kinds.contains(.partition), logger: logger)
        var report = ChaosReport(seed: seed, durationS: duration, faultsEnabled: kinds.map(\.rawValue))
        do {
            try await run.drive(
                schedule: schedule, duration: duration, ordersPerSecond: ordersPerSecond, customers: customers,
                settleTimeout: settleTimeout, pgRestartCommand: pgRestartCommand, replayPoison: replayPoison,
                report: &report)
        } catch {
            report.problems.append("the run failed: \(error)")
        }
        await run.stop()
        for line in report.table() { say(line) }
        if json { say(try report.jsonLine()) }
        if !report.passed { throw ExitCode(1) }
    }
}
