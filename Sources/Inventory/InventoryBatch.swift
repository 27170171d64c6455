import Consumers
import Foundation
import Postgres
import Synchronization

/// The stock and reservation rows one optimistic batch of the Inventory group touches:
/// read and locked in two statements for the whole batch, changed in memory by each
/// handler, and the stock levels written back in one statement before the batch commits.
///
/// The group is one serial chain over the stock rows (every batch locks them), so per-event
/// reads and one `UPDATE` per SKU per event were most of its batch time
/// (docs/benchmarks.md). Reservation records are still written per event (pipelined); their
/// state here is what those writes leave.
final class InventoryBatch: BatchLocal {
    private struct State {
        /// Locked stock levels, as the batch left them.
        var stock: [String: StockLevel] = [:]
        /// SKUs known not to exist (no row to lock).
        var unknownSKUs = Set<String>()
        /// SKUs whose level changed since the load.
        var changed = Set<String>()
        /// Orders' reservation records (`nil`: the order has none), locked.
        var records: [UUID: InventoryStore.Record?] = [:]
    }

    private let state: Mutex<State>

    private init(_ state: State) { self.state = Mutex(state) }

    static func load(for events: [ConsumedEvent], on connection: PostgresConnection) async throws -> InventoryBatch {
        var orders = Set<UUID>()
        var skus = Set<String>()
        for event in events {
            switch event.envelope.type {
            case InventoryService.orderPlacedV2:
                guard let order = try? event.decode(OrderPlaced.self) else { continue }
                orders.insert(order.orderId)
                skus.formUnion(order.items.map(\.sku))
            case InventoryService.paymentFailedV1, InventoryService.paymentCapturedV1:
                guard let outcome = try? event.decode(PaymentOutcome.self) else { continue }
                orders.insert(outcome.orderId)
            default: continue
            }
        }
        var state = State()
        let records = try await InventoryStore.lockRecords(orders: Array(orders), on: connection)
        for order in orders { state.records[order] = .some(records[order]) }
        for record in records.values where record.status == "reserved" { skus.formUnion(record.lines.map(\.sku)) }
        try await Self.lock(skus, into: &state, on: connection)
        return InventoryBatch(state)
    }

    /// Locks and keeps the levels of `skus` (the caller holds none of them).
    private static func lock(_ skus: Set<String>, into state: inout State, on connection: PostgresConnection)
        async throws
    {
        guard !skus.isEmpty else { return }
        let levels = try await InventoryStore.lockStock(skus: skus.sorted(), on: connection)
        for sku in skus {
            if let level = levels[sku] { state.stock[sku] = level } else { state.unknownSKUs.insert(sku) }
        }
    }

    /// The levels of `skus` that exist, locked; read on a miss.
    func stock(of skus: [String], on connection: PostgresConnection) async throws -> [String: StockLevel] {
        let missing = state.withLock { state in
            Set(skus.filter { state.stock[$0] == nil && !state.unknownSKUs.contains($0) })
        }
        if !missing.isEmpty {
            var loaded = State()
            try await Self.lock(missing, into: &loaded, on: connection)
            state.withLock { state in
                state.stock.merge(loaded.stock) { held, _ in held }
                state.unknownSKUs.formUnion(loaded.unknownSKUs)
            }
        }
        return state.withLock { state in state.stock.filter { skus.contains($0.key) } }
    }

    /// The order's reservation record, locked (`nil`: none); read on a miss.
    func record(of order: UUID, on connection: PostgresConnection) async throws -> InventoryStore.Record? {
        if let known = state.withLock({ $0.records[order] }) { return known }
        let read = try await InventoryStore.lockRecords(orders: [order], on: connection)[order]
        state.withLock { $0.records[order] = .some(read) }
        return read
    }

    /// Records new levels; written back at the flush.
    func update(_ levels: [StockLevel]) {
        state.withLock { state in
            for level in levels {
                state.stock[level.sku] = level
                state.changed.insert(level.sku)
            }
        }
    }

    /// Records the order's reservation record as the handler wrote it.
    func setRecord(_ record: InventoryStore.Record, of order: UUID) {
        state.withLock { $0.records[order] = .some(record) }
    }

    func flush(on connection: PostgresConnection) async throws {
        let levels = state.withLock { state in state.changed.sorted().compactMap { state.stock[$0] } }
        guard !levels.isEmpty else { return }
        try await connection.pipeline(InventoryStore.update(levels))
    }
}
