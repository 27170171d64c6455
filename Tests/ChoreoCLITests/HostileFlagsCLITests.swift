import ChoreoTestSupport
import Foundation
import Testing

/// Hostile numbers, headers and secrets on the command line and in specs: a clear error that
/// names the field (exit 64 for flags, 1 for specs), never a trap and never an echoed secret.
@Suite("hostile flags and spec values")
struct HostileFlagsCLITests {
    @Test("--idle nan, inf, huge and negative exit 64 naming --idle", arguments: ["nan", "inf", "-inf", "1e300", "-1"])
    func idle(_ value: String) async throws {
        let run = try await CLI.run([
            "consume", "customers.events", "--idle", value, "--bootstrap-servers", "127.0.0.1:1",
        ])
        #expect(run.status == 64, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("--idle"))
    }

    /// A copy of the repository's specs with `edit` applied.
    private func project(_ edit: (URL) throws -> Void) throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appending(path: "choreo-hostile-\(UUID())")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for folder in ["contracts", "topics", "consumers"] {
            try FileManager.default.copyItem(
                at: CLI.repositoryRoot.appending(path: folder), to: copy.appending(path: folder))
        }
        try edit(copy)
        return copy
    }

    private func replace(_ file: URL, _ old: String, _ new: String) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(old))
        try text.replacingOccurrences(of: old, with: new).write(to: file, atomically: true, encoding: .utf8)
    }

    @Test("processedRetention and retry delays that overflow fail the check naming the field")
    func specDurations() async throws {
        let retention = try project {
            try replace(
                $0.appending(path: "consumers/audit-log.yaml"), "processedRetention: 30d",
                "processedRetention: 9999999999999999d")
        }
        let first = try await CLI.run(["contracts", "check", "--root", retention.path])
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("processedRetention: '9999999999999999d'"))

        let delays = try project {
            try replace(
                $0.appending(path: "consumers/audit-log.yaml"), "delays: [1s, 10s, 1m]", "delays: [9999999999999h]")
        }
        let second = try await CLI.run(["contracts", "check", "--root", delays.path])
        #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("retry.delays: '9999999999999h'"))
    }

    @Test("a retry topic named g.retry.9999999999999h fails the check naming the topic's name")
    func retryTopicName() async throws {
        let copy = try project {
            try "name: g.retry.9999999999999h\nkind: retry\npartitions: 1\n"
                .write(to: $0.appending(path: "topics/g.retry.9999999999999h.yaml"), atomically: true, encoding: .utf8)
        }
        let run = try await CLI.run(["contracts", "check", "--root", copy.path])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("name: a retry topic is named <group>.retry.<delay>"))
    }

    @Test(
        "publish --header cannot set reserved headers",
        arguments: [
            "ce_type=x.v1", "CE_ID=1", "content-type=text/plain", "retry_count=9", "dlq_reason=x", "choreo_x=1",
            "traceparent=x",
        ])
    func reservedHeader(_ header: String) async throws {
        let run = try await CLI.run([
            "publish", "payment.failed", "--key", "k", "--topic", "payments.events", "--bootstrap-servers",
            "127.0.0.1:1",
            "--header", header, "--data",
            #"{"orderId":"5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10","customerId":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0","amount":1.5,"reason":"insufficient-credit","failedAt":"2026-11-23T10:00:00Z"}"#,
        ])
        #expect(run.status == 64, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("is reserved"))
    }

    @Test("a malformed --kafka-property is not echoed", arguments: ["sasl.password hunter2", "=hunter2", "hunter2"])
    func kafkaPropertySecret(_ property: String) async throws {
        let run = try await CLI.run(["consume", "customers.events", "--idle", "1", "--kafka-property", property])
        #expect(run.status == 64, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("--kafka-property"))
        #expect(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"))
    }
}
