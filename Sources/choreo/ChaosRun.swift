import Consumers
import Contracts
import DeadLetters
import Foundation
import Kafka
import Logging
import NetworkFaults
import Outbox
import Postgres
import Services
import Synchronization
import Topics

/// The system of one chaos run: the embedded broker with every topic of the project (the
/// groups' retry, dead-letter and replay topics included), the service databases (created
/// and migrated), a TCP proxy in front of each (when partitions are injected), the run's
/// own operations database (the dead-letter store, emptied at start), the service processes
/// and the dead-letter worker.
final class ChaosRun: Sendable {
    let root: ProjectRoot
    let broker: EmbeddedKafkaCluster
    let kafka: KafkaConfiguration
    let environment: ServiceEnvironment
    /// Every service database, by service name, reached directly (not through the proxies).
    let databases: [String: PostgresConfiguration]
    /// The dead-letter store's database (`CHOREO_CHAOS_OPS_DATABASE_URL`, else
    /// `choreo_chaos_ops` on the services' server), reached directly.
    let opsDatabase: PostgresConfiguration
    let proxies: [String: TCPProxy]
    let processes: ChaosProcesses
    let logger: Logger

    /// The name of the run's dead-letter store database in `ServiceDatabase` terms.
    static let opsService = "chaos-ops"
    /// The dead-letter worker's Kafka group.
    static let workerGroup = "choreo-dlq-worker"

    private init(
        root: ProjectRoot, broker: EmbeddedKafkaCluster, kafka: KafkaConfiguration, environment: ServiceEnvironment,
        databases: [String: PostgresConfiguration], opsDatabase: PostgresConfiguration, proxies: [String: TCPProxy],
        processes: ChaosProcesses, logger: Logger
    ) {
        self.root = root
        self.broker = broker
        self.kafka = kafka
        self.environment = environment
        self.databases = databases
        self.opsDatabase = opsDatabase
        self.proxies = proxies
        self.processes = processes
        self.logger = logger
    }

    static func start(root: ProjectRoot, brokers: Int, proxied: Bool, logger: Logger) async throws -> ChaosRun {
        let catalog = try TopicCatalog.load(directory: root.topics)
        let broker = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        do {
            for topic in try ProjectTopics.all(catalog: catalog, root: root) {
                try broker.createTopic(topic.name, partitions: topic.partitions)
            }
            var kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
            kafka.rawProperties["fetch.wait.max.ms"] = "10"
            let environment = try ServiceHandlers.environment(root: root, kafka: kafka)
            var databases: [String: PostgresConfiguration] = [:]
            var proxies: [String: TCPProxy] = [:]
            var childEnvironment = [
                "CHOREO_BOOTSTRAP_SERVERS": broker.bootstrapServers, "CHOREO_ROOT": root.url.path,
                "CHOREO_KAFKA_FETCH_WAIT_MAX_MS": "10",
            ]
            for service in try ServiceHandlers.catalog().services {
                let host = try ServiceHost(
                    service: service, environment: environment,
                    database: try ServiceDatabase.configuration(service: service.name))
                try await host.prepare(logger: logger)
                databases[service.name] = host.database
                guard proxied else { continue }
                let proxy = try TCPProxy(
                    upstreamHost: host.database.host ?? "", upstreamPort: host.database.port ?? 5432)
                proxies[service.name] = proxy
                childEnvironment[ServiceDatabase.environmentKey(service: service.name)] = Self.url(
                    of: host.database, port: proxy.port)
            }
            let opsDatabase = try await Self.prepareOpsDatabase(logger: logger)
            childEnvironment["CHOREO_OPS_DATABASE_URL"] = Self.url(
                of: opsDatabase, host: opsDatabase.host ?? "127.0.0.1", port: opsDatabase.port ?? 5432)
            var children = databases.keys.sorted().map { (name: $0, arguments: ["service", "run", $0]) }
            children += DevWorkers.present()
            let processes = ChaosProcesses(children: children, environment: childEnvironment, logger: logger)
            try await processes.startAll()
            return ChaosRun(
                root: root, broker: broker, kafka: kafka, environment: environment, databases: databases,
                opsDatabase: opsDatabase, proxies: proxies, processes: processes, logger: logger)
        } catch {
            broker.shutdown()
            throw error
        }
    }

    /// The run's dead-letter store: created when missing, installed, emptied (a fresh
    /// embedded broker numbers its offsets from 0 again, and the store keeps a record once
    /// per original topic, partition and offset).
    private static func prepareOpsDatabase(logger: Logger) async throws -> PostgresConfiguration {
        let configuration = try ServiceDatabase.configuration(service: opsService)
        try await ServiceDatabase.createIfMissing(configuration, logger: logger)
        let connection = try await PostgresConnection.connect(configuration: configuration, logger: logger)
        do {
            try await DeadLetterSchema.install(on: connection)
            try await connection.execute("TRUNCATE dead_letter_audit, dead_letters")
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return configuration
    }

    /// `postgresql://user:password@<host>:<port>/<database>` (by default the database
    /// through a proxy on 127.0.0.1).
    static func url(of configuration: PostgresConfiguration, host: String = "127.0.0.1", port: Int) -> String {
        func encoded(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        }
        let user = configuration.user.map(encoded) ?? ""
        let password = configuration.password.map { ":" + encoded($0) } ?? ""
        let credentials = user.isEmpty && password.isEmpty ? "" : "\(user)\(password)@"
        return "postgresql://\(credentials)\(host):\(port)/\(encoded(configuration.database ?? ""))"
    }

    /// Each group's main topics.
    var groups: [String: [String]] {
        Dictionary(environment.groups.map { ($0.group, $0.topics) }, uniquingKeysWith: { first, _ in first })
    }

    /// What must have no lag once settled: each group's main topics and its replay topic,
    /// and the dead-letter worker's dead-letter topics (every dead letter stored).
    var watchedGroups: [String: [String]] {
        var watched = Dictionary(
            environment.groups.map { ($0.group, $0.topics + [RetryPolicy.replayTopic(group: $0.group)]) },
            uniquingKeysWith: { first, _ in first })
        if DevWorkers.present().contains(where: { $0.name == "dlq-worker" }) {
            watched[Self.workerGroup] = environment.groups.map(\.resolvedDeadLetterTopic)
        }
        return watched
    }

    /// Drives traffic with the faults, settles and fills `report`.
    func drive(
        schedule: [ChaosFault], duration: Double, ordersPerSecond: Int, customers: Int, settleTimeout: Double,
        pgRestartCommand: String, replayPoison: Bool, report: inout ChaosReport
    ) async throws {
        var consumersOf: [String: [String]] = [:]
        for group in environment.groups {
            for topic in group.topics { consumersOf[topic, default: []].append(group.group) }
        }
        var producerConfiguration = KafkaProducerConfiguration(client: kafka)
        producerConfiguration.maxMessageBytes = 2 * ChaosPoison.oversizedBytes
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        let admin = try KafkaAdmin(configuration: kafka, logger: logger)
        let connections = DevConnections(databases: databases, logger: logger)
        let groups = self.groups
        let deadLetterTopics = environment.groups.map(\.resolvedDeadLetterTopic)
        let driver = DevDriver(
            settings: .init(
                ordersPerSecond: ordersPerSecond, duration: .milliseconds(Int64(duration * 1000)), settle: .zero,
                statusInterval: .seconds(10), customers: customers),
            parts: DevSystem.Parts(
                kafka: kafka,
                writer: OutboxWriter(registry: environment.registry, source: "/choreo/dev", routes: environment.routes),
                databases: databases, deadLetterTopics: deadLetterTopics, groups: groups, consumersReady: { true }),
            logger: logger)
        let injector = ChaosInjector(
            broker: broker, processes: processes, proxies: proxies, producer: producer,
            writer: OutboxWriter(registry: environment.registry, source: "/choreo/chaos", routes: environment.routes),
            consumersOf: consumersOf, pgRestartCommand: pgRestartCommand, logger: logger)
        let watched = watchedGroups
        let watch = ChaosPartitionWatch(admin: admin, groups: watched)
        let processes = self.processes
        let background = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await watch.run() }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await processes.reviveExited() } catch {}
                        try? await Task.sleep(for: .milliseconds(500))
                    }
                }
            }
        }
        let start = Date()
        let driverDone = Mutex(false)
        let driving = Task {
            defer { driverDone.withLock { $0 = true } }
            try await driver.run()
        }
        var failure: (any Error)?
        do {
            // The faults start with the traffic (after seeding).
            while driver.sentOrders == 0 && !driverDone.withLock({ $0 }) {
                try await Task.sleep(for: .milliseconds(100))
            }
            await injector.run(schedule, duration: .milliseconds(Int64(duration * 1000)))
            try await driving.value
        } catch {
            failure = error
            driving.cancel()
            await injector.restoreAll()
        }
        let faultsEnd = ContinuousClock.now
        report.ordersSubmitted = driver.sentOrders
        report.faults = Dictionary(uniqueKeysWithValues: injector.faultCounts.map { ($0.key.rawValue, $0.value) })
        report.faultInjectionFailures = injector.injectionFailures

        // Settle: nothing in flight and every invariant holding, or the timeout.
        var reading = ChaosReading()
        let deadline = faultsEnd + .milliseconds(Int64(settleTimeout * 1000))
        while failure == nil {
            do {
                reading = try await ChaosReading.read(
                    since: start, connections: try await connections.all(), admin: admin, groups: watched)
                if reading.settled(sent: report.ordersSubmitted - report.brokerLostRecords) {
                    report.settled = true
                    break
                }
                if reading.settled(sent: reading.counts.total) {
                    // All else done but orders missing: count the acknowledged commands the
                    // broker holds (it may have lost some).
                    let onTopic = try await orderCommandsOnTopic()
                    report.brokerLostRecords = max(0, report.ordersSubmitted - onTopic)
                }
            } catch {
                logger.warning("chaos: cannot read the system while settling", metadata: ["error": "\(error)"])
            }
            guard ContinuousClock.now < deadline else { break }
            try? await Task.sleep(for: .milliseconds(500))
        }
        report.settleS = (ContinuousClock.now - faultsEnd).seconds
        background.cancel()
        await background.value
        let longest = watch.longest
        report.maxPartitionBlockedS = longest.seconds
        report.maxPartitionBlockedAt = longest.position.map {
            "\($0.group) \($0.partition.topic)[\($0.partition.partition)]"
        }
        report.maxPartitionBlockedWhy = explain(longest, windows: injector.windows)
        report.kills = await processes.kills
        report.restarts = await processes.restarts
        report.unexpectedExits = await processes.unexpectedExits
        if let failure {
            await producer.shutdown()
            await connections.closeAll()
            throw failure
        }
        do {
            try await assess(
                reading, injector: injector, connections: connections, deadLetterTopics: deadLetterTopics,
                report: &report)
        } catch {
            report.problems.append("the results could not be read: \(error)")
        }
        if replayPoison {
            if report.settled {
                await self.replayPoison(
                    injector.poisonSent, since: start, producer: producer, connections: connections, admin: admin,
                    settleTimeout: settleTimeout, report: &report)
            } else {
                report.problems.append("--replay-poison: not run, the system did not settle")
            }
        }
        await producer.shutdown()
        await connections.closeAll()
    }

    /// `--replay-poison`: the dead-lettered poison replayed with valid data where possible
    /// and discarded otherwise, through the dead-letter tool's own paths; then settle and
    /// verify; then the replayed records replayed again, which must change nothing.
    private func replayPoison(
        _ poison: [ChaosInjector.PoisonSent], since start: Date, producer: KafkaProducer, connections: DevConnections,
        admin: KafkaAdmin, settleTimeout: Double, report: inout ChaosReport
    ) async {
        let pool = PostgresConnectionPool(configuration: opsDatabase, maxConnections: 2, logger: logger)
        do {
            let project = try DlqProject.load(root)
            let store = DeadLetterStore(pool: pool)
            let replay = ChaosPoisonReplay(
                store: store,
                replayer: DeadLetterReplayer(
                    store: store, destinations: project.destinations, registry: project.registry, producer: producer),
                specs: project.specs, producer: producer, logger: logger)
            let all = try await connections.all()
            let customer = try await all["orders"]?.query(
                "SELECT customer_id::text FROM known_customers ORDER BY registered_at, customer_id LIMIT 1"
            ).first?.decode(String.self, column: 0)
            let storedBefore = try await replay.storedCount()
            let first = try await replay.first(poison, customer: customer)
            report.poisonReplayed = first.replayed.count
            report.poisonDiscarded = first.discarded
            try await settleAfterReplay(
                "the first poison replay", since: start, connections: connections, admin: admin,
                timeout: settleTimeout, report: &report)
            let storedAfter = try await replay.storedCount()
            if storedAfter != storedBefore {
                report.problems.append(
                    "the first poison replay was dead-lettered again: \(storedAfter - storedBefore) new dead letters")
            }
            let before = try await ChaosSnapshot.take(connections: try await connections.all(), store: store)
            try await replay.again(first.replayed)
            try await settleAfterReplay(
                "the second poison replay", since: start, connections: connections, admin: admin,
                timeout: settleTimeout, report: &report)
            let after = try await ChaosSnapshot.take(connections: try await connections.all(), store: store)
            let changes = before.changes(to: after)
            report.secondReplayChanged = changes.count
            if !changes.isEmpty {
                report.problems.append(
                    "the second poison replay changed \(changes.count) counts: \(changes.prefix(5).joined(separator: "; "))"
                )
            }
        } catch {
            report.problems.append("--replay-poison failed: \(error)")
        }
        await pool.shutdown()
    }

    /// Waits until nothing is in flight and every invariant holds again (`choreo verify`),
    /// or names the problem.
    private func settleAfterReplay(
        _ what: String, since start: Date, connections: DevConnections, admin: KafkaAdmin, timeout: Double,
        report: inout ChaosReport
    ) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        var reading = ChaosReading()
        while true {
            do {
                reading = try await ChaosReading.read(
                    since: start, connections: try await connections.all(), admin: admin, groups: watchedGroups)
                if reading.settled(sent: 0) { return }
            } catch {
                logger.warning("chaos: cannot read the system while settling", metadata: ["error": "\(error)"])
            }
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let failing = reading.invariants.filter { !$0.passed }.map { "\($0.name) \($0.violations)" }
        report.problems.append(
            "after \(what) the system did not settle: \(reading.inFlight(sent: 0))"
                + (failing.isEmpty ? "" : "; invariants failing: \(failing.joined(separator: ", "))"))
    }

    /// What happened to the longest-blocked partition's group while it was blocked: its
    /// lag, whether the group committed elsewhere meanwhile, and the faults that touched its
    /// service (kills, seconds its database was black-holed) or everything (brokers down,
    /// PostgreSQL restarts) in that window.
    func explain(_ longest: ChaosPartitionWatch.Longest, windows: [ChaosInjector.Window]) -> String? {
        guard let position = longest.position, let since = longest.since, let until = longest.until else { return nil }
        let service = environment.groups.first { $0.group == position.group }?.service
        let overlapping = windows.filter { $0.start < until && $0.end > since }
        func seconds(_ window: ChaosInjector.Window) -> Double {
            (min(window.end, until) - max(window.start, since)).seconds
        }
        let mine = overlapping.filter { $0.service == service }
        let kills = mine.filter { $0.kind == .kill }
        let blackHoled = mine.filter { $0.kind == .partition }.map(seconds).reduce(0, +)
        let down = kills.map(seconds).reduce(0, +)
        let everything = overlapping.filter { $0.service == nil }
        var parts = [
            "lag \(longest.lag) at its end",
            longest.groupProgressed
                ? "the group committed on other partitions meanwhile" : "the group committed nowhere meanwhile",
            "\(service ?? position.group) killed \(kills.count) times (\(Int(down)) s down before restarts)",
            "its database black-holed \(Int(blackHoled)) s",
        ]
        let brokerOutages = everything.filter { $0.kind == .brokerDown }.count
        if brokerOutages > 0 { parts.append("every broker down \(brokerOutages) times") }
        let restarts = everything.filter { $0.kind == .pgRestart }.count
        if restarts > 0 { parts.append("PostgreSQL restarted \(restarts) times") }
        return parts.joined(separator: "; ")
    }

    /// Fills the report's outcome from the last reading, the dead-letter topics and the
    /// processed-event tables; names every problem.
    private func assess(
        _ reading: ChaosReading, injector: ChaosInjector, connections: DevConnections, deadLetterTopics: [String],
        report: inout ChaosReport
    ) async throws {
        report.ordersConfirmed = reading.counts.confirmed
        report.ordersCancelled = reading.counts.cancelled
        report.invariants = reading.invariants
        report.invariantViolations = reading.invariants.map(\.violations).reduce(0, +)
        let effects: Set<String> = [
            "effects-applied-once", "one-capture-per-confirmed-order", "one-notification-per-order-and-kind",
        ]
        report.duplicateEffects = reading.invariants.filter { effects.contains($0.name) }.map(\.violations).reduce(
            0, +)

        // Duplicates: each (event, group) pair applied once, by the group's processed events.
        let serviceOf = Dictionary(
            environment.groups.map { ($0.group, $0.service) }, uniquingKeysWith: { first, _ in first })
        let all = try await connections.all()
        for duplicate in injector.duplicatesSent {
            for group in duplicate.groups {
                report.duplicatesInjected += 1
                guard let service = serviceOf[group], let connection = all[service] else { continue }
                let rows = try await connection.query(
                    "SELECT count(*) FROM processed_events WHERE consumer_group = \(group) AND event_id = \(duplicate.eventID)"
                )
                report.duplicatesSuppressed += try rows.first?.decode(Int.self, column: 0) ?? 0
            }
        }

        // Dead letters: every poison dead-lettered by every consuming group with its reason,
        // nothing else dead-lettered.
        let (deadLetters, unreadable) = try await DeadLetterTopics.readAll(
            topics: deadLetterTopics, kafka: kafka, logger: logger)
        // Counted once per original message and group: a copy dead-lettered again (a kill
        // before the offset commit) is the same dead letter, as in the store.
        var distinct: Set<String> = []
        for deadLetter in deadLetters
        where distinct.insert(
            "\(deadLetter.group)/\(deadLetter.originalTopic)/\(deadLetter.originalPartition)/\(deadLetter.originalOffset)"
        ).inserted {
            report.deadLetters[deadLetter.reason.rawValue, default: 0] += 1
        }
        if watchedGroups[Self.workerGroup] != nil {
            let stored = try await storedDeadLetters()
            report.deadLettersStored = stored
            if stored != distinct.count {
                report.problems.append(
                    "the dead-letter store holds \(stored) records for \(distinct.count) distinct dead letters")
            }
        }
        var unmatched = deadLetters
        for poison in injector.poisonSent {
            report.poisonInjected += 1
            for group in poison.groups {
                let matching = unmatched.filter {
                    $0.group == group && $0.originalTopic == poison.topic && $0.originalPartition == poison.partition
                        && $0.originalOffset == poison.offset
                }
                // A process killed between dead-lettering and committing dead-letters again:
                // every copy must carry the reason.
                if matching.isEmpty {
                    report.poisonNotDeadLettered.append("\(poison.kind.rawValue) in \(group): not dead-lettered")
                }
                for reason in Set(matching.map(\.reason)) where reason != poison.kind.reason {
                    report.poisonNotDeadLettered.append(
                        "\(poison.kind.rawValue) in \(group): dead-lettered as \(reason), expected \(poison.kind.reason)"
                    )
                }
                report.poisonDeadLetteredAgain += max(0, matching.count - 1)
                unmatched.removeAll {
                    $0.group == group && $0.originalTopic == poison.topic && $0.originalPartition == poison.partition
                        && $0.originalOffset == poison.offset
                }
            }
        }
        report.unexpectedDeadLetters = unmatched.count + unreadable

        // Lost: events a group handles that it neither applied nor dead-lettered, and events
        // left in an outbox; failing those, orders never recorded or never ended.
        let missing = try await UnappliedEvents.find(
            groups: environment.groups,
            skip: Set(injector.poisonSent.map { "\($0.topic)/\($0.partition)/\($0.offset)" }),
            deadLettered: Set(
                deadLetters.map { "\($0.group)/\($0.originalTopic)/\($0.originalPartition)/\($0.originalOffset)" }),
            connections: try await connections.all(), kafka: kafka, logger: logger)
        report.lostEvents = missing.count + reading.backlog
        if report.lostEvents == 0 {
            report.lostEvents =
                max(0, report.ordersSubmitted - report.brokerLostRecords - reading.counts.total)
                + reading.counts.placed
        }
        report.lostEventExamples = missing.prefix(10).map(\.description)

        if !report.settled {
            report.problems.append(
                "the system did not settle within the settle timeout: \(reading.inFlight(sent: report.ordersSubmitted))"
            )
        }
        if report.invariantViolations > 0 {
            report.problems.append("\(report.invariantViolations) invariant violations")
        }
        if report.lostEvents > 0 {
            report.problems.append(
                "\(report.lostEvents) lost events (e.g. \(report.lostEventExamples.prefix(3).joined(separator: "; ")))")
        }
        if report.duplicateEffects > 0 { report.problems.append("\(report.duplicateEffects) duplicate effects") }
        report.problems += report.poisonNotDeadLettered
        if report.unexpectedDeadLetters > 0 {
            let examples = unmatched.prefix(3).map {
                "\($0.group) \($0.originalTopic) \($0.reason): \($0.error.prefix(120))"
            }
            report.problems.append(
                "\(report.unexpectedDeadLetters) dead letters of real traffic (e.g. \(examples.joined(separator: "; ")))"
            )
        }
    }

    /// The records in the run's dead-letter store.
    private func storedDeadLetters() async throws -> Int {
        let connection = try await PostgresConnection.connect(configuration: opsDatabase, logger: logger)
        do {
            let count = try await connection.query("SELECT count(*) FROM dead_letters").first?.decode(
                Int.self, column: 0)
            await connection.close()
            return count ?? 0
        } catch {
            await connection.close()
            throw error
        }
    }

    /// The distinct `order.place` commands of the traffic on `orders.commands`.
    private func orderCommandsOnTopic() async throws -> Int {
        let commands = try await TopicScan.readAll(topics: ["orders.commands"], kafka: kafka, logger: logger)
        return Set(
            commands.compactMap { try? EventEnvelope(kafkaHeaders: $0.headers) }.filter {
                $0.type.name == "order.place" && $0.source == "/choreo/dev"
            }.map(\.id)
        ).count
    }

    /// Stops the service processes, the proxies and the broker.
    func stop() async {
        await processes.stopAll()
        for proxy in proxies.values { await proxy.stop() }
        broker.shutdown()
    }
}
