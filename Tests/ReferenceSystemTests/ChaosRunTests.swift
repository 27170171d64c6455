import ChoreoTestSupport
import Foundation
import Postgres
import Testing

/// `choreo chaos`: the reference system under every default fault for a bounded run, as CI
/// runs it, then the dead-lettered poison replayed (`--replay-poison`); the report's JSON
/// line says what happened.
@Suite(.serialized) struct ChaosRunTests {
    @Test func aSixtySecondRunUnderEveryDefaultFaultKeepsEveryInvariantAndASecondPoisonReplayChangesNothing()
        async throws
    {
        try await EndToEndTests().withRunDatabases { environment, _, server in
            // The run's own dead-letter store, dropped after.
            var ops = server
            ops.database = "choreo_chaos_ops_\(UUID().uuidString.prefix(8).lowercased())"
            var environment = environment
            environment["CHOREO_CHAOS_OPS_DATABASE_URL"] = ChoreoTestSupport.databaseURL(of: ops)
            do {
                try await runAndCheck(environment)
            } catch {
                await Self.drop(ops.database, server: server)
                throw error
            }
            await Self.drop(ops.database, server: server)
        }
    }

    private static func drop(_ name: String?, server: PostgresConfiguration) async {
        guard let name, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
            let connection = try? await PostgresConnection.connect(configuration: server)
        else { return }
        try? await connection.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await connection.close()
    }

    private func runAndCheck(_ environment: [String: String]) async throws {
        let output = try EndToEndTests.OutputFiles()
        let process = try EndToEndTests().launch(
            ["chaos", "--duration", "60", "--seed", "1", "--orders-per-second", "10", "--json", "--replay-poison"],
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
        // Every dead letter in the store once, however often it was dead-lettered.
        #expect(report["dead_letters_stored"] as? Int == deadLetters.values.reduce(0, +))
        // --replay-poison: the contract violations replayed with repaired data, the rest
        // discarded, together every poison record; a second replay changes nothing.
        let replayed = report["poison_replayed"] as? Int ?? 0
        let discarded = report["poison_discarded"] as? Int ?? 0
        #expect(replayed > 0 && discarded > 0, "replayed \(replayed), discarded \(discarded)")
        #expect(replayed + discarded == report["dead_letters_stored"] as? Int)
        #expect(report["second_replay_changed"] as? Int == 0)
    }
}
