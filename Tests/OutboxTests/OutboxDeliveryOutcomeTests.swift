import Testing

@testable import Outbox

@Suite("Delivery outcome rule (pure)")
struct OutboxDeliveryOutcomeTests {
    @Test("all delivered: every row is done")
    func allDelivered() {
        let outcome = OutboxDeliveryOutcome(rows: [(1, "a"), (2, "b"), (3, "a")], succeeded: [true, true, true])
        #expect(outcome.delivered == [1, 2, 3])
        #expect(outcome.retained.isEmpty)
    }

    @Test("a failure retains its row and every later row of its key, not other keys")
    func failureBlocksLaterRowsOfItsKey() {
        let outcome = OutboxDeliveryOutcome(
            rows: [(1, "a"), (2, "a"), (3, "b"), (4, "a"), (5, "b")],
            succeeded: [true, false, true, true, true])
        #expect(outcome.delivered == [1, 3, 5])
        #expect(outcome.retained == [2, 4])
    }

    @Test("rows without a key stand alone")
    func keylessRows() {
        let outcome = OutboxDeliveryOutcome(rows: [(1, nil), (2, nil), (3, nil)], succeeded: [false, true, true])
        #expect(outcome.delivered == [2, 3])
        #expect(outcome.retained == [1])
    }
}
