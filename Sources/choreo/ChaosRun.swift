import Consumers
import Contracts
import Foundation
import Kafka
import Logging
import NetworkFaults
import Outbox
import Postgres
import Services
import Synchronization
import Topics

/// The system of one chaos run: the embedded broker with every declared topic, the service
/// databases (created and migrated), a TCP proxy in front of each (when partitions are
/// injected) and the service processes.
final class ChaosRun: Sendable {
    let broker: EmbeddedKafkaCluster
    let kafka: KafkaConfiguration
    let environment: ServiceEnvironment
    /// Every service database, by service name, reached directly (not through the proxies).
    let databases: [String: PostgresConfiguration]
    let proxies: [String: TCPProxy]
    let processes: ChaosProcesses
    let logger: Logger

    private init(
        broker: EmbeddedKafkaCluster, kafka: KafkaConfiguration, environment: ServiceEnvironment,
        databases: [String: PostgresConfiguration], proxies: [String: TCPProxy], processes: ChaosProcesses,
        logger: Logger
    ) {
        self.broker = broker
        self.kafka = kafka
        self.environment = environment
        self.databases = databases
        self.proxies = proxies
        self.processes = processes
        self.logger = logger
    }

    static func start(root: ProjectRoot, brokers: Int, proxied: Bool, logger: Logger) async throws -> ChaosRun {
        let catalog = try TopicCatalog.load(directory: root.topics)
        let broker = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        do {
            for topic in catalog.topics { try broker.createTopic(topic.name, partitions: topic.partitions) }
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
            let processes = ChaosProcesses(
                names: databases.keys.sorted(), environment: childEnvironment, logger: logger)
            try await processes.startAll()
            return ChaosRun(
                broker: broker, kafka: kafka, environment: environment, databases: databases, proxies: proxies,
                processes: processes, logger: logger)
        } catch {
            broker.shutdown()
            throw error
        }
    }

    /// `postgresql://user:password@127.0.0.1:<port>/<database>`: the database through a proxy.
    static func url(of configuration: PostgresConfiguration, port: Int) -> String {
        func encoded(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        }
        let user = configuration.user.map(encoded) ?? ""
        let password = configuration.password.map { ":" + encoded($0) } ?? ""
        let credentials = user.isEmpty && password.isEmpty ? "" : "\(user)\(password)@"
        return "postgresql://\(credentials)127.0.0.1:\(port)/\(encoded(configuration.database ?? ""))"
    }

    /// Each group's main topics.
    var groups: [String: [String]] {
        Dictionary(environment.groups.map { ($0.group, $0.topics) }, uniquingKeysWith: { first, _ in first })
    }

    /// Drives traffic with the faults, settles and fills `report`.
    func drive(
        schedule: [ChaosFault], duration: Double, ordersPerSecond: Int, customers: Int, settleTimeout: Double,
        pgRestartCommand: String, report: inout ChaosReport
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
        let watch = ChaosPartitionWatch(admin: admin, groups: groups)
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
                    since: start, connections: try await connections.all(), admin: admin, groups: groups)
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
        await producer.shutdown()
        await connections.closeAll()
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
        for deadLetter in deadLetters { report.deadLetters[deadLetter.reason.rawValue, default: 0] += 1 }
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
