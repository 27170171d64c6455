import ChoreoTestSupport
import Contracts
import Foundation
import Kafka
import Postgres
import Synchronization
import Testing

@testable import Consumers

/// The transient/permanent split is a protocol a handler's own errors can adopt.
@Suite("Consumer runtime: RetriableError (PostgreSQL + embedded broker)")
struct RetriableErrorTests {
    struct LedgerUnavailable: RetriableError, CustomStringConvertible {
        var isRetriable: Bool { true }
        var description: String { "the ledger is unavailable" }
    }

    struct NotForNow: RetriableError {
        var isRetriable: Bool { false }
    }

    struct Plain: Error {}

    @Test("the library's errors and a handler's own conform; only a retriable one is transient")
    func classification() {
        #expect(isTransient(LedgerUnavailable()))
        #expect(!isTransient(NotForNow()))
        #expect(!isTransient(Plain()))
        #expect(!isTransient(PermanentFailure("no")))
        #expect(!isTransient(ConsumerError(code: .configuration, message: "x")))
        #expect(isTransient(PostgresError(code: .connectionClosed, message: "gone")))
        #expect(!isTransient(PostgresError(code: .decoding, message: "bad")))
        let postgres: any RetriableError = PostgresError(code: .connectionClosed, message: "gone")
        #expect(postgres.isRetriable)
    }

    @Test("a handler's own error that is retriable is retried in place and never dead-lettered or sent to retry")
    func ownTransientErrorRetriedInPlace() async throws {
        try await ConsumerTestHarness.with { harness in
            let calls = Mutex(0)
            let handler: EventHandler = { event, context in
                let call = calls.withLock {
                    $0 += 1
                    return $0
                }
                if call <= 3 { throw LedgerUnavailable() }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            let ids = try await harness.publish([("K", 1)])
            try await harness.withRuntime(harness.configuration(handler: handler)) { runtime in
                try await waitUntil(timeout: .seconds(30)) { runtime.metrics.handled == 1 }
                #expect(runtime.metrics.transientFailures >= 3)
                #expect(runtime.metrics.retried == 0)
                #expect(runtime.metrics.deadLettered == 0)
            }
            #expect(try await harness.effectCounts() == [ids[0]: 1])
        }
    }

    @Test("an error that does not adopt RetriableError is retried per policy, then dead-lettered")
    func plainErrorRetriedThenDeadLettered() async throws {
        try await ConsumerTestHarness.with { harness in
            let handler: EventHandler = { _, _ in throw Plain() }
            let ids = try await harness.publish([("K", 1)])
            try await harness.withRuntime(harness.configuration(handler: handler)) { runtime in
                let letter = try #require(try await harness.deadLetters.read(count: 1).first)
                #expect(letter.header("ce_id") == ids[0].uuidString.lowercased())
                #expect(letter.header("dlq_reason") == "retries-exhausted")
                #expect(runtime.metrics.retried == ConsumerTestHarness.retry.delays.count)
                #expect(runtime.metrics.transientFailures == 0)
            }
        }
    }
}
