import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import NetworkFaults
import Outbox
import Synchronization

/// Carries out a chaos schedule against the running system: kills and restarts service
/// processes, takes embedded brokers down, pushes request errors and latency, black-holes
/// database connections, restarts PostgreSQL, injects poison and duplicates. Each fault
/// with a duration is undone when it ends, and every one still active is undone when the
/// faults stop.
final class ChaosInjector: Sendable {
    /// A poison message sent, with the reason each consuming group must dead-letter it with.
    struct PoisonSent: Sendable {
        var kind: ChaosPoison.Kind
        var topic: String
        var partition: Int32
        var offset: Int64
        var groups: [String]
    }

    /// An event published twice, and the groups that must each apply it once.
    struct DuplicateSent: Sendable {
        var eventID: UUID
        var groups: [String]
    }

    let broker: EmbeddedKafkaCluster
    let processes: ChaosProcesses
    /// A proxy in front of each service's database, by service name.
    let proxies: [String: TCPProxy]
    let producer: KafkaProducer
    let writer: OutboxWriter
    /// The groups consuming each topic.
    let consumersOf: [String: [String]]
    let pgRestartCommand: String
    let logger: Logger

    private let counts = Mutex([ChaosFaultKind: Int]())
    private let poison = Mutex([PoisonSent]())
    private let duplicates = Mutex([DuplicateSent]())
    private let failures = Mutex([String]())
    private let timeline = Mutex([Window]())

    /// A fault that touched one service (or, with `service` nil, every one) from `start`
    /// to `end`: a kill until the restart, a black hole, brokers down, a PostgreSQL restart.
    struct Window: Sendable {
        var kind: ChaosFaultKind
        var service: String?
        var start: ContinuousClock.Instant
        var end: ContinuousClock.Instant
    }

    /// The faults with a time window, in the order they ended.
    var windows: [Window] { timeline.withLock { $0 } }

    private func window(_ kind: ChaosFaultKind, _ service: String?, since start: ContinuousClock.Instant) {
        timeline.withLock { $0.append(Window(kind: kind, service: service, start: start, end: .now)) }
    }

    init(
        broker: EmbeddedKafkaCluster, processes: ChaosProcesses, proxies: [String: TCPProxy], producer: KafkaProducer,
        writer: OutboxWriter, consumersOf: [String: [String]], pgRestartCommand: String, logger: Logger
    ) {
        self.broker = broker
        self.processes = processes
        self.proxies = proxies
        self.producer = producer
        self.writer = writer
        self.consumersOf = consumersOf
        self.pgRestartCommand = pgRestartCommand
        self.logger = logger
    }

    var faultCounts: [ChaosFaultKind: Int] { counts.withLock { $0 } }
    var poisonSent: [PoisonSent] { poison.withLock { $0 } }
    var duplicatesSent: [DuplicateSent] { duplicates.withLock { $0 } }
    /// Faults that could not be injected (a send that failed, a restart command that failed).
    var injectionFailures: [String] { failures.withLock { $0 } }

    /// Runs `schedule` from now until `duration` is over, then undoes every fault still active.
    func run(_ schedule: [ChaosFault], duration: Duration) async {
        let start = ContinuousClock.now
        let end = start + duration
        await withTaskGroup(of: Void.self) { group in
            for fault in schedule {
                group.addTask {
                    let at = start + .milliseconds(Int64(fault.at * 1000))
                    guard (try? await Task.sleep(until: at, clock: .continuous)) != nil else { return }
                    await self.inject(fault, until: end)
                }
            }
            try? await Task.sleep(until: end, clock: .continuous)
            // Faults with durations end now (their undo runs when their sleep is cancelled).
            group.cancelAll()
            await group.waitForAll()
        }
        await restoreAll()
    }

    /// Every fault off: brokers up without latency, no pending request errors, every proxy
    /// passing, every killed process restarted.
    func restoreAll() async {
        for id in broker.brokerIDs {
            try? broker.setBrokerUp(id)
            try? broker.setBrokerLatency(id, .zero)
        }
        for api in Self.apis.values { broker.clearRequestErrors(apiKey: api) }
        for proxy in proxies.values { proxy.mode = .pass }
        do { try await processes.restartAllKilled() } catch { record("restart after the faults: \(error)") }
    }

    private func inject(_ fault: ChaosFault, until end: ContinuousClock.Instant) async {
        /// Sleeps for `seconds`, or until the faults end.
        func hold(_ seconds: Double) async {
            let until = min(end, ContinuousClock.now + .milliseconds(Int64(seconds * 1000)))
            try? await Task.sleep(until: until, clock: .continuous)
        }
        let started = ContinuousClock.now
        switch fault.action {
        case .kill(let service, let restartAfter):
            guard let killed = await processes.kill(preferring: service) else { return }
            defer { window(fault.kind, killed, since: started) }
            count(fault.kind)
            logger.notice("chaos: killed", metadata: ["service": "\(killed)"])
            await hold(restartAfter)
            do { try await processes.restart(killed) } catch { record("restart \(killed): \(error)") }
        case .allBrokersDown(let seconds):
            count(fault.kind)
            logger.notice("chaos: every broker down", metadata: ["seconds": "\(seconds)"])
            for id in broker.brokerIDs { try? broker.setBrokerDown(id) }
            await hold(seconds)
            for id in broker.brokerIDs { try? broker.setBrokerUp(id) }
            window(fault.kind, nil, since: started)
        case .brokerDown(let id, let seconds):
            count(fault.kind)
            logger.notice("chaos: broker down", metadata: ["broker": "\(id)", "seconds": "\(seconds)"])
            try? broker.setBrokerDown(id)
            await hold(seconds)
            try? broker.setBrokerUp(id)
        case .requestErrors(let api, let count):
            guard let key = Self.apis[api], let codes = Self.retriableErrors[api] else { return }
            self.count(fault.kind)
            let errors = (0..<count).map { codes[$0 % codes.count] }
            do { try broker.pushRequestErrors(apiKey: key, errors: errors) } catch { record("\(api) errors: \(error)") }
        case .latency(let id, let milliseconds, let seconds):
            count(fault.kind)
            try? broker.setBrokerLatency(id, .milliseconds(milliseconds))
            await hold(seconds)
            try? broker.setBrokerLatency(id, .zero)
        case .pgRestart:
            count(fault.kind)
            logger.notice("chaos: restarting PostgreSQL", metadata: ["command": "\(pgRestartCommand)"])
            await restartPostgres()
            window(fault.kind, nil, since: started)
        case .partition(let service, let seconds):
            guard let proxy = proxies[service] else { return }
            count(fault.kind)
            logger.notice("chaos: database black-holed", metadata: ["service": "\(service)", "seconds": "\(seconds)"])
            proxy.mode = .blackHole
            await hold(seconds)
            proxy.mode = .pass
            window(fault.kind, service, since: started)
        case .poison(let kind):
            count(fault.kind)
            await injectPoison(kind)
        case .duplicate(let command):
            count(fault.kind)
            await injectDuplicate(command: command)
        }
    }

    private func injectPoison(_ kind: ChaosPoison.Kind) async {
        do {
            let report = try await producer.send(ChaosPoison.message(kind))
            let sent = PoisonSent(
                kind: kind, topic: report.topic, partition: report.partition, offset: report.offset,
                groups: consumersOf[report.topic] ?? [])
            poison.withLock { $0.append(sent) }
        } catch {
            record("poison \(kind.rawValue) not sent: \(error)")
        }
    }

    /// A `customer.register` command, or a `customer.registered` event, for a new customer,
    /// sent twice with the same `ce_id`.
    private func injectDuplicate(command: Bool) async {
        let id = UUIDText.lowercased(UUID())
        let data =
            "{\"customerId\":\"\(id)\",\"name\":\"Chaos duplicate\",\"email\":\"duplicate@example.com\",\"creditLimit\":100"
            + (command ? "}" : ",\"registeredAt\":\"\(RFC3339.format(Date()))\"}")
        let type = EventType(name: command ? "customer.register" : "customer.registered", version: 1)
        do {
            let record = try writer.prepare(OutboxEvent(type: type, key: id, data: Array(data.utf8)))
            let message = KafkaProducerMessage(
                topic: record.topic, key: Array(record.key.utf8), value: record.data,
                headers: record.envelope.kafkaHeaders())
            _ = try await producer.send(message)
            duplicates.withLock {
                $0.append(DuplicateSent(eventID: record.envelope.id, groups: consumersOf[record.topic] ?? []))
            }
            _ = try await producer.send(message)
        } catch {
            self.record("duplicate \(type) not sent: \(error)")
        }
    }

    /// Runs `--pg-restart-command` and waits for it to end.
    ///
    /// Found by the first pg-restart run: Foundation learns that a child ended when the
    /// descriptors it inherited are closed, and the server that `pg_ctl restart` leaves
    /// running inherited them too — the wait never ended (and, once the faults stopped and
    /// the wait was cancelled, spun). So the command runs in a shell that first closes every
    /// descriptor above 2, with standard input, output and error on /dev/null, and its end is
    /// awaited through the termination handler, which cancellation does not cut short.
    private func restartPostgres() async {
        let process = Process()
        process.executableURL = URL(filePath: "/bin/bash")
        process.arguments = [
            "-c",
            #"( for fd in /proc/$BASHPID/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; exec /bin/sh -c "$1" )"#,
            "bash", pgRestartCommand,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status: Int32? = await withCheckedContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                record("pg-restart: \(error)")
                continuation.resume(returning: nil)
            }
        }
        if let status, status != 0 { record("pg-restart: the command exited with status \(status)") }
    }

    private func count(_ kind: ChaosFaultKind) { counts.withLock { $0[kind, default: 0] += 1 } }

    private func record(_ failure: String) {
        logger.warning("chaos: fault not injected", metadata: ["problem": "\(failure)"])
        failures.withLock { $0.append(failure) }
    }

    static let apis: [String: KafkaAPIKey] = ["produce": .produce, "fetch": .fetch, "offset-commit": .offsetCommit]
    static let retriableErrors: [String: [KafkaErrorCode]] = [
        "produce": [.notLeaderForPartition, .requestTimedOut, .notEnoughReplicas],
        "fetch": [.notLeaderForPartition, .requestTimedOut],
        "offset-commit": [.coordinatorNotAvailable, .notCoordinator, .requestTimedOut],
    ]
}
