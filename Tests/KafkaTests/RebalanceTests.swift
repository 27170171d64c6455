import ChoreoTestSupport
import Foundation
import Kafka
import Synchronization
import Testing

/// What the group members did, shared by their tasks, in one order (a logical clock).
///
/// A violation is committed work delivered to a member whose assignment of that partition began
/// AFTER the commit: the group handed the partition over from a stale position. A member whose
/// assignment predates the commit may still return messages it had fetched (a member evicted for
/// not polling in time keeps its prefetched queue until it notices); Kafka fences such a zombie's
/// commits, not its fetches, so that redelivery is allowed.
private final class GroupLedger: Sendable {
    struct Key: Hashable { let partition: Int32; let offset: Int64 }
    struct State {
        var clock = 0
        var processed: [Key: Int] = [:]
        var committedAt: [Key: Int] = [:]
        var assignedAt: [String: [Int32: Int]] = [:]
        var violations: [Key] = []
        var events: [String: [KafkaRebalanceEvent]] = [:]

        mutating func tick() -> Int {
            clock += 1
            return clock
        }
    }
    let state = Mutex(State())

    func process(_ member: String, _ messages: [KafkaConsumerMessage]) {
        state.withLock { s in
            for m in messages {
                let key = Key(partition: m.partition, offset: m.offset)
                if let committed = s.committedAt[key], let assigned = s.assignedAt[member]?[m.partition],
                    assigned > committed
                {
                    s.violations.append(key)
                }
                s.processed[key, default: 0] += 1
            }
        }
    }

    func markCommitted(_ messages: [KafkaConsumerMessage]) {
        state.withLock { s in
            let now = s.tick()
            for m in messages { s.committedAt[Key(partition: m.partition, offset: m.offset)] = now }
        }
    }

    func record(_ member: String, _ event: KafkaRebalanceEvent) {
        state.withLock { s in
            s.events[member, default: []].append(event)
            guard case .assigned(let partitions) = event else { return }
            let now = s.tick()
            for p in partitions { s.assignedAt[member, default: [:]][p.partition] = now }
        }
    }
}

/// One group member: polls, processes, commits every second batch, and commits pending work
/// from the rebalance handler when partitions are revoked.
private final class Member: Sendable {
    let name: String
    let consumer: KafkaConsumer
    let ledger: GroupLedger
    private let pending = PendingWork()

    init(_ name: String, cluster: EmbeddedKafkaCluster, group: String, topic: String, ledger: GroupLedger) throws {
        self.name = name
        self.ledger = ledger
        consumer = try KafkaConsumer(
            configuration: embeddedConsumerConfiguration(cluster, group: group), logger: testLogger(name))
        consumer.setRebalanceHandler { [consumer, pending, ledger] event in
            ledger.record(name, event)
            guard case .revoked(let partitions) = event else { return }
            let mine = pending.messages.withLock { p in
                defer { p.removeAll { m in partitions.contains { $0.partition == m.partition } } }
                return p.filter { m in partitions.contains { $0.partition == m.partition } }
            }
            guard !mine.isEmpty else { return }
            do {
                try consumer.commitSync(Member.offsets(mine))
                ledger.markCommitted(mine)
            } catch {}  // not committed: may be redelivered, which the ledger allows
        }
        try consumer.subscribe(topics: [topic])
    }

    static func offsets(_ messages: [KafkaConsumerMessage]) -> [KafkaTopicPartitionOffset] {
        var next: [Int32: KafkaTopicPartitionOffset] = [:]
        for m in messages where (next[m.partition]?.offset ?? -1) < m.offset + 1 { next[m.partition] = m.nextOffset }
        return Array(next.values)
    }

    func run() async {
        var batchNumber = 0
        while !Task.isCancelled {
            guard let batch = try? await consumer.poll(maxMessages: 200, timeout: .milliseconds(100)), !batch.isEmpty
            else { continue }
            ledger.process(name, batch)
            batchNumber += 1
            let toCommit = pending.messages.withLock { p in
                p += batch
                guard batchNumber % 2 == 0 else { return [KafkaConsumerMessage]() }
                defer { p = [] }
                return p
            }
            guard !toCommit.isEmpty else { continue }
            do {
                try await consumer.commit(Member.offsets(toCommit))
                ledger.markCommitted(toCommit)
            } catch {}
        }
    }
}

/// Processed, uncommitted messages of one member (a class: a Mutex cannot be captured).
private final class PendingWork: Sendable {
    let messages = Mutex<[KafkaConsumerMessage]>([])
}

@Suite("Consumer groups on the embedded broker")
struct RebalanceTests {
    @Test("two members split the partitions; a third joining rebalances without losing or redoing committed work")
    func groupRebalance() async throws {
        let topic = uniqueTopicName("group")
        let group = uniqueGroupID()
        try await withEmbeddedKafka(topics: [(topic, 6)]) { cluster in
            let producer = try KafkaProducer(
                configuration: embeddedProducerConfiguration(cluster), logger: testLogger("producer"))
            for result in await producer.sendBatch(numbered(topic, 0..<3000)) { _ = try result.get() }
            let ledger = GroupLedger()
            let a = try Member("a", cluster: cluster, group: group, topic: topic, ledger: ledger)
            let b = try Member("b", cluster: cluster, group: group, topic: topic, ledger: ledger)
            let tasks = [Task { await a.run() }, Task { await b.run() }]

            func assignedSplit(_ members: [Member]) throws -> Bool {
                let sets = try members.map { Set(try $0.consumer.assignment.map(\.partition)) }
                let union = sets.reduce(into: Set<Int32>()) { $0.formUnion($1) }
                return union == Set(0..<6) && sets.allSatisfy { !$0.isEmpty } && sets.map(\.count).reduce(0, +) == 6
            }
            #expect(try await eventually(within: .seconds(40)) { try assignedSplit([a, b]) })

            let c = try Member("c", cluster: cluster, group: group, topic: topic, ledger: ledger)
            let third = Task { await c.run() }
            for result in await producer.sendBatch(numbered(topic, 3000..<6000)) { _ = try result.get() }
            #expect(try await eventually(within: .seconds(40)) { try assignedSplit([a, b, c]) })
            #expect(await eventually(within: .seconds(40)) { ledger.state.withLock { $0.processed.count } == 6000 })
            for task in tasks + [third] { task.cancel() }
            for task in tasks + [third] { await task.value }
            for member in [a, b, c] { await member.consumer.close() }
            await producer.shutdown()

            let state = ledger.state.withLock { $0 }
            #expect(state.processed.count == 6000)  // nothing lost
            #expect(state.violations.isEmpty)  // committed work never handed over from a stale position
            #expect(state.events["c"]?.contains { if case .assigned(let p) = $0 { !p.isEmpty } else { false } } == true)
            #expect(state.events["a"]?.contains { if case .revoked = $0 { true } else { false } } == true)
        }
    }
}
