import ChoreoTestSupport
import Consumers
import Contracts
import Foundation
import Synchronization
import Testing

/// A group's own middleware around its handler (PostgreSQL + embedded broker).
@Suite("Consumer runtime: user middleware (PostgreSQL + embedded broker)")
struct ConsumerMiddlewareTests {
    /// What the test middleware saw, in call order.
    final class Journal: Sendable {
        let entries = Mutex<[String]>([])
        let seen = Mutex<Set<UUID>>([])
        func log(_ entry: String) { entries.withLock { $0.append(entry) } }
    }

    @Test("a user middleware sees every event, annotates it for the handler and can short-circuit one")
    func seesAnnotatesShortCircuits() async throws {
        try await ConsumerTestHarness.with { harness in
            let journal = Journal()
            let handler: EventHandler = { event, context in
                guard event.envelope.extensions["middleware"] == "seen" else {
                    throw PermanentFailure("the middleware's annotation did not reach the handler")
                }
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            var configuration = harness.configuration(handler: handler)
            configuration.use { event, context, next in
                journal.seen.withLock { _ = $0.insert(event.envelope.id) }
                struct Seq: Decodable { var seq: Int }
                if try event.decode(Seq.self).seq == 3 { return }  // short-circuit: handled, no effect
                var annotated = event
                annotated.envelope.extensions["middleware"] = "seen"
                try await next(annotated, context)
            }
            let ids = try await harness.publish((1...6).map { ("K\($0 % 2)", $0) })
            try await harness.withRuntime(configuration) { runtime in
                try await waitUntil(timeout: .seconds(30)) { runtime.metrics.handled == 6 }
                #expect(runtime.metrics.deadLettered == 0)
                #expect(runtime.metrics.retried == 0)
            }
            #expect(journal.seen.withLock { $0 } == Set(ids))
            let effects = try await harness.effectCounts()
            #expect(Set(effects.keys) == Set(ids).subtracting([ids[2]]))
            #expect(effects.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("middleware layers run outermost first, around the handler, in the order they were added")
    func layerOrder() async throws {
        try await ConsumerTestHarness.with { harness in
            let journal = Journal()
            let handler: EventHandler = { event, context in
                journal.log("handler")
                try await ConsumerTestHarness.recordEffect(event, context)
            }
            var configuration = harness.configuration(handler: handler)
            for name in ["outer", "inner"] {
                configuration.use { event, context, next in
                    journal.log("\(name) before")
                    try await next(event, context)
                    journal.log("\(name) after")
                }
            }
            try await harness.publish([("K", 1)])
            try await harness.withRuntime(configuration) { runtime in
                try await waitUntil(timeout: .seconds(30)) { runtime.metrics.handled == 1 }
            }
            #expect(
                journal.entries.withLock { $0 } == [
                    "outer before", "inner before", "handler", "inner after", "outer after",
                ])
        }
    }

    @Test("an error a middleware throws fails the event like a handler error: retried, then dead-lettered")
    func middlewareErrorRoutes() async throws {
        try await ConsumerTestHarness.with { harness in
            struct Refused: Error {}
            var configuration = harness.configuration()
            configuration.use { _, _, _ in throw Refused() }
            let ids = try await harness.publish([("K", 1)])
            try await harness.withRuntime(configuration) { runtime in
                let letter = try #require(try await harness.deadLetters.read(count: 1).first)
                #expect(letter.header("ce_id") == ids[0].uuidString.lowercased())
                #expect(letter.header("dlq_reason") == "retries-exhausted")
                #expect(runtime.metrics.retried == ConsumerTestHarness.retry.delays.count)
            }
            #expect(try await harness.effectCounts().isEmpty)
        }
    }
}
