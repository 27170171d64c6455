import ChoreoTestSupport
import Consumers
import Contracts
import DeadLetters
import Foundation
import Kafka
import Testing

@Suite("Dead-letter worker: stores each dead letter once; re-drives by policy", .serialized)
struct DeadLetterWorkerTests {
    @Test("a dead letter lands in the store once, even when the worker is killed -9 and the topic is re-read")
    func onceAcrossKill() async throws {
        try await DeadLetterTestHarness.with { harness in
            try await harness.withRuntime { _ in
                let environment = [
                    "CHOREO_ROOT": harness.root.path, "CHOREO_BOOTSTRAP_SERVERS": harness.broker.bootstrapServers,
                    "CHOREO_OPS_DATABASE_URL": harness.opsURL,
                ]
                let first = try await harness.publish(key: "k1", data: #"{"key":"k1","seq":13}"#)
                let worker = try ChoreoProcess.start(["dlq", "worker"], environment: environment)
                try await waitUntil(timeout: .seconds(60)) {
                    try await harness.store.list(DeadLetterFilter()).count == 1
                }
                worker.kill(signal: SIGKILL)
                _ = await worker.waitForExit(timeout: .seconds(10))
                // A worker under a new Kafka group id re-reads the whole topic from the start.
                let rereader = try ChoreoProcess.start(
                    ["dlq", "worker", "--consumer-group", "choreo-dlq-reread"], environment: environment)
                defer { rereader.kill(signal: SIGTERM) }
                let second = try await harness.publish(key: "k2", data: #"{"key":"k2","seq":13}"#)
                // The dead-letter topic has one partition: once the second is stored, the first was re-read.
                try await waitUntil(timeout: .seconds(60)) {
                    try await harness.store.list(DeadLetterFilter()).count >= 2
                }
                let records = try await harness.store.list(DeadLetterFilter())
                #expect(records.map(\.eventID) == [UUIDText.lowercased(first), UUIDText.lowercased(second)])
                #expect(records.map(\.reason) == ["handler-error", "handler-error"])
                #expect(try await harness.store.audit(records[0].id).map(\.action) == ["store"])
                rereader.kill(signal: SIGTERM)
                #expect(await rereader.waitForExit(timeout: .seconds(30)) == 0, "SIGTERM stops the worker cleanly")
            }
        }
    }

    @Test("re-drive: after the delay, up to the limit, then held; contract violations are never re-driven")
    func redrivePolicy() async throws {
        let rule = "    handler-error: { after: 500ms, max: 2 }"
        try await DeadLetterTestHarness.with(redrive: rule) { harness in
            try await harness.withRuntime { _ in
                try await harness.withWorker {
                    let id = try await harness.publish(key: "r1", data: #"{"key":"r1","seq":13}"#)
                    let violation = try await harness.publish(key: "r2", data: #"{"key":"r2","seq":-1}"#)
                    try await waitUntil(timeout: .seconds(90)) {
                        try await harness.store.list(DeadLetterFilter(status: .held)).count == 1
                    }
                    let chain = try await harness.store.list(DeadLetterFilter(grep: UUIDText.lowercased(id)))
                    #expect(chain.map(\.status) == [.replayed, .replayed, .held])
                    #expect(chain.map(\.redrives) == [1, 2, 2])
                    #expect(chain[1].parentID == chain[0].id && chain[2].parentID == chain[1].id)
                    #expect(chain.allSatisfy { $0.sourceTopic == DeadLetterTestHarness.topic })
                    for record in chain.prefix(2) {
                        let redrive = try #require(
                            try await harness.store.audit(record.id).first { $0.action == "redrive" })
                        #expect(redrive.actor == "worker")
                        #expect(redrive.at.timeIntervalSince(record.failedAt) >= 0.5, "not before the delay")
                    }
                    #expect(try await harness.effects(id) == 0)
                    let cv = try #require(
                        try await harness.store.list(DeadLetterFilter(grep: UUIDText.lowercased(violation))).first)
                    #expect(cv.reason == "contract-violation" && cv.status == .pending && cv.nextRedriveAt == nil)
                }
            }
        }
    }

    @Test("a spec may not declare a re-drive for reasons that never change; malformed rules name the field")
    func ruleValidation() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "choreo-dlq-spec-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func load(_ redrive: String) throws -> ConsumerGroupSpec {
            let file = directory.appending(path: "g.yaml")
            try Data(
                "group: g\nservice: s\ntopics: [a.events]\nhandles: [a.b.v1]\ndeadLetters:\n  redrive:\n\(redrive)\n"
                    .utf8
            ).write(to: file)
            return try ConsumerGroupSpec.load(file)
        }
        #expect(try load("    handler-error: { after: 10m, max: 3 }").redriveRules()["handler-error"]?.maxRedrives == 3)
        #expect { try load("    contract-violation: { after: 10m, max: 3 }") } throws: {
            "\($0)".contains("deadLetters.redrive.contract-violation") && "\($0)".contains("never re-driven")
        }
        #expect { try load("    handler-error: { after: soon, max: 3 }") } throws: {
            "\($0)".contains("deadLetters.redrive.handler-error.after")
        }
        #expect { try load("    handler-error: { after: 1m, max: 0 }") } throws: { "\($0)".contains(".max") }
    }
}
