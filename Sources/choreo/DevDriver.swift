import Contracts
import Foundation
import Inventory
import Kafka
import Logging
import Orders
import Outbox
import Payments
import Postgres
import ServiceLifecycle
import Services
import Synchronization

/// The part of `choreo dev up` that drives the system: seeds stock and customers, sends
/// `order.place` commands at the asked rate, prints a status line every interval, waits for
/// orders in flight to settle and prints a summary. Returning ends the run.
final class DevDriver: Service, Sendable {
    struct Settings: Sendable {
        var ordersPerSecond: Int
        var duration: Duration?
        var settle: Duration
        var statusInterval: Duration
        var customers: Int
        /// How long to wait for the system to be ready before seeding.
        var readyTimeout: Duration = .seconds(60)
    }

    let settings: Settings
    /// The clients' settings, the service databases and what to read for the status.
    let parts: DevSystem.Parts
    let logger: Logger
    private let sent = Mutex(0)
    private let failedSends = Mutex(0)

    /// `order.place` commands sent and acknowledged by the broker so far.
    var sentOrders: Int { sent.withLock { $0 } }

    init(settings: Settings, parts: DevSystem.Parts, logger: Logger) {
        self.settings = settings
        self.parts = parts
        self.logger = logger
    }

    func run() async throws {
        try await withClients { connections, producer, admin in
            try await self.drive(connections: connections, producer: producer, admin: admin)
        }
    }

    /// Runs `body` with connections to every service database, a producer and an admin
    /// client, and closes them after it. Cancellation ends `body` without an error.
    func withClients(
        _ body: (DevConnections, KafkaProducer, KafkaAdmin) async throws -> Void
    ) async throws {
        let connections = DevConnections(databases: parts.databases, logger: logger)
        var producerConfiguration = KafkaProducerConfiguration(client: parts.kafka)
        producerConfiguration.linger = .milliseconds(1)
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        let admin = try KafkaAdmin(configuration: parts.kafka, logger: logger)
        var failure: (any Error)?
        do {
            // Known topics: a command's first send is not held ~1 s for the topic's metadata.
            try await producer.prefetchMetadata(topics: parts.topics)
            try await body(connections, producer, admin)
        } catch is CancellationError {
        } catch {
            failure = error
        }
        await producer.shutdown()
        await connections.closeAll()
        if let failure { throw failure }
    }

    private func drive(connections: DevConnections, producer: KafkaProducer, admin: KafkaAdmin) async throws {
        let traffic = DevTraffic(customers: settings.customers)
        let start = Date()
        var finished = false
        do {
            finished = try await cancelWhenGracefulShutdown {
                try await self.seed(traffic, connections: connections, producer: producer)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.reportStatus(since: start) }
                    group.addTask {
                        guard let duration = self.settings.duration else {
                            while true { try await Task.sleep(for: .seconds(3600)) }
                        }
                        try await self.sendOrders(
                            traffic, rate: self.settings.ordersPerSecond, for: duration, producer: producer)
                        try await self.settle(since: start, connections: connections)
                    }
                    try await group.next()
                    group.cancelAll()
                }
                return true
            }
        } catch is CancellationError {}
        do {
            try await summary(since: start, connections: connections, finished: finished)
        } catch {
            say("summary: sent \(sent.withLock { $0 }) orders; the databases could not be read: \(error)")
        }
    }

    /// A status line (or the panel, on a terminal) every interval until cancelled, from the
    /// metrics of every process of the system (`parts.metrics`).
    private func reportStatus(since start: Date) async throws {
        var previous: DevStatus?
        var last = ContinuousClock.now
        let terminal = isatty(STDOUT_FILENO) == 1
        var panelLines = 0
        while true {
            try await Task.sleep(for: settings.statusInterval)
            let status = DevStatus(published: sent.withLock { $0 }, samples: await parts.metrics.read())
            let now = ContinuousClock.now
            let seconds = (now - last).seconds
            if terminal {
                // Redraw the panel in place: up over the last one, clear to the end.
                let panel = status.panel(previous: previous, seconds: seconds, elapsed: Date().timeIntervalSince(start))
                let up = panelLines > 0 ? "\u{1B}[\(panelLines)F\u{1B}[J" : ""
                FileHandle.standardOutput.write(Data((up + panel.joined(separator: "\n") + "\n").utf8))
                panelLines = panel.count
            } else {
                say(status.line(previous: previous, seconds: seconds))
            }
            (previous, last) = (status, now)
        }
    }

    /// Waits until the system is ready (every group joined, every relay up: `parts.readiness`)
    /// and says so; then adds stock, registers the customers and waits until Orders and
    /// Payments know them.
    /// - Throws: `ServiceError` naming what was not ready after `settings.readyTimeout`.
    func seed(_ traffic: DevTraffic, connections: DevConnections, producer: KafkaProducer) async throws {
        try await parts.readiness.wait(timeout: settings.readyTimeout)
        say(String(format: "ready in %.1f s", (ContinuousClock.now - parts.startedAt).seconds))
        let inventory = try await connections.connection("inventory")
        for sku in DevTraffic.skus {
            try await InventoryService.addStock(sku: sku.name, quantity: sku.stock, on: inventory)
        }
        let register = EventType(name: "customer.register", version: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, customer) in traffic.customers.enumerated() {
                let event = OutboxEvent(
                    type: register, key: UUIDText.lowercased(customer.id),
                    data: traffic.registration(customer, index: index))
                group.addTask { try await self.send(event, producer: producer) }
            }
            try await group.waitForAll()
        }
        let ids = traffic.customers.map(\.id)
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let inOrders = try await OrderFacts.knownCustomers(ids, on: try await connections.connection("orders"))
            let inPayments = try await PaymentFacts.knownCustomers(
                ids, on: try await connections.connection("payments"))
            if inOrders == ids.count && inPayments == ids.count { break }
            guard ContinuousClock.now < deadline else {
                throw ServiceError(
                    code: .stopped, message: "the seeded customers did not reach Orders and Payments within 60 s",
                    isRetriable: true)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        say(
            "seeded \(ids.count) customers and \(DevTraffic.skus.count) SKUs"
        )
    }

    /// Sends `order.place` commands at `rate` per second for `duration`.
    func sendOrders(_ traffic: DevTraffic, rate: Int, for duration: Duration, producer: KafkaProducer) async throws {
        guard rate > 0 else { return }
        let total = Int(duration.seconds * Double(rate))
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now
        let place = EventType(name: "order.place", version: 1)
        var generator = SystemRandomNumberGenerator()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                try await Task.sleep(until: start + interval * index, clock: .continuous)
                let id = UUID()
                let order = traffic.order(id: id, using: &generator)
                let event = OutboxEvent(type: place, key: UUIDText.lowercased(id), data: order.data)
                group.addTask {
                    do {
                        try await self.send(event, producer: producer)
                        self.sent.withLock { $0 += 1 }
                    } catch {
                        self.failedSends.withLock { $0 += 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Builds the command as every event is built (validated, routed, enveloped) and sends it.
    private func send(_ event: OutboxEvent, producer: KafkaProducer) async throws {
        let record = try parts.writer.prepare(event)
        _ = try await producer.send(
            KafkaProducerMessage(
                topic: record.topic, partition: nil, key: Array(record.key.utf8), value: record.data,
                headers: record.envelope.kafkaHeaders()))
    }

    /// Waits until every sent order has arrived and ended, every outbox is empty and the
    /// invariants hold (so nothing is left in flight in the embedded broker, which does not
    /// outlive this process), or the settle time is up.
    @discardableResult
    func settle(since start: Date, connections: DevConnections, within settle: Duration? = nil) async throws -> Bool {
        let deadline = ContinuousClock.now + (settle ?? settings.settle)
        while ContinuousClock.now < deadline {
            do {
                if try await hasSettled(since: start, connections: try await connections.all()) { return true }
            } catch {
                logger.warning(
                    "cannot read the service databases while settling; trying again", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        logger.warning("the system had not settled when the settle time was up")
        return false
    }

    private func hasSettled(since start: Date, connections: [String: PostgresConnection]) async throws -> Bool {
        guard let orders = connections["orders"], let inventory = connections["inventory"],
            let payments = connections["payments"], let notifications = connections["notifications"]
        else { return true }
        // Polled every 250 ms while the system works: the open orders first (an index read),
        // the full count only once none is left.
        guard try await OrderFacts.openCount(since: start, on: orders) == 0 else { return false }
        let counts = try await OrderFacts.counts(since: start, on: orders)
        guard counts.placed == 0 && counts.total >= sent.withLock({ $0 }) else { return false }
        for connection in connections.values {
            let backlog = try await connection.query("SELECT count(*) FROM outbox").first?.decode(Int.self, column: 0)
            if (backlog ?? 0) > 0 { return false }
        }
        let invariants = ReferenceInvariants(
            orders: orders, inventory: inventory, payments: payments, notifications: notifications, since: start)
        return try await invariants.check().allSatisfy(\.passed)
    }

    private func summary(since start: Date, connections: DevConnections, finished: Bool) async throws {
        let status = DevStatus(published: sent.withLock { $0 }, samples: await parts.metrics.read())
        let seconds = Date().timeIntervalSince(start)
        say(
            "summary (\(finished ? "finished" : "interrupted") after \(Int(seconds)) s): "
                + status.line(previous: nil, seconds: seconds))
        // The exact figures of this run, from the Orders database (the metrics' latency is
        // bucketed, and counts a process's whole life).
        let orders = try await connections.connection("orders")
        let counts = try await OrderFacts.counts(since: start, on: orders)
        let latency = try await OrderFacts.completionLatency(since: start, on: orders)
        let reasons = try await OrderFacts.cancelReasons(since: start, on: orders)
        let completed = counts.confirmed + counts.cancelled
        say(
            "summary: completed \(completed) orders (\(String(format: "%.1f", Double(completed) / max(seconds, 1)))/s), \(counts.placed) open; completion "
                + (latency.map { String(format: "p50 %.0f ms p99 %.0f ms", $0.p50, $0.p99) } ?? "p50 - p99 -")
                + " (Orders database); cancelled by reason: "
                + reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + "; failed sends \(failedSends.withLock { $0 })")
    }
}

/// Writes a line to standard output at once (not buffered), for a watcher or a pipe.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
