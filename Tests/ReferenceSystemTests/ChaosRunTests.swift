import ChoreoTestSupport
import Foundation
import Testing

/// `choreo chaos`: the reference system under every default fault for a bounded run, as CI
/// runs it; the report's JSON line says what happened.
@Suite(.serialized) struct ChaosRunTests {
    @Test func aSixtySecondRunUnderEveryDefaultFaultKeepsEveryInvariant() async throws {
        try await EndToEndTests().withRunDatabases { environment, _, _ in
            let output = try EndToEndTests.OutputFiles()
            let process = try EndToEndTests().launch(
                ["chaos", "--duration", "60", "--seed", "1", "--orders-per-second", "10", "--json"],
                environment: environment, output: output)
            let deadline = ContinuousClock.now + .seconds(600)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
            if process.isRunning { process.terminate() }
            while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            let stdout = output.stdout
            let last = stdout.split(separator: "\n").last.map(String.init) ?? ""
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
                "no JSON report line: \(stdout.suffix(3_000)) \(output.stderr.suffix(2_000))")
            #expect(process.terminationStatus == 0, "\(stdout.suffix(3_000))")
            #expect(report["passed"] as? Bool == true, "\(report["problems"] ?? "")")
            #expect(report["invariant_violations"] as? Int == 0)
            #expect(report["lost_events"] as? Int == 0)
            #expect(report["duplicate_effects"] as? Int == 0)
            #expect(report["settled"] as? Bool == true)
            #expect(report["poison_not_dead_lettered"] as? [String] == [])
            let faults = report["faults"] as? [String: Int] ?? [:]
            for kind in ["kill", "broker-down", "broker-errors", "partition", "poison", "duplicates"] {
                #expect((faults[kind] ?? 0) > 0, "no \(kind) fault happened: \(faults)")
            }
            #expect(faults["pg-restart"] == nil, "pg-restart is off by default")
            // At least one kill every 5 s.
            #expect((report["kills"] as? Int ?? 0) >= 12, "\(report["kills"] ?? "")")
            #expect((report["orders_submitted"] as? Int ?? 0) > 0)
            #expect((report["duplicates_injected"] as? Int ?? 0) > 0)
            #expect(report["duplicates_suppressed"] as? Int == report["duplicates_injected"] as? Int)
            let deadLetters = report["dead_letters"] as? [String: Int] ?? [:]
            for reason in ["undecodable", "unknown-type", "contract-violation", "wrong-topic", "oversized"] {
                #expect((deadLetters[reason] ?? 0) > 0, "no \(reason) dead letter: \(deadLetters)")
            }
        }
    }
}
