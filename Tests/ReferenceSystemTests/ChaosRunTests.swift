import ChoreoTestSupport
import Foundation
import Postgres
import Testing

/// `choreo chaos`: the reference system under every default fault for a bounded run, as CI
/// runs it, then the dead-lettered poison replayed (`--replay-poison`); the report's JSON
/// line says what happened.
@Suite(.serialized) struct ChaosRunTests {
    /// Runs `choreo chaos` with `arguments` on scratch service databases and its own
    /// dead-letter store (dropped after); waits up to `timeout` for it to end.
    private func chaos(
        _ arguments: [String], timeout: Duration = .seconds(600),
        check: (Process, EndToEndTests.OutputFiles) throws -> Void
    ) async throws {
        try await EndToEndTests().withRunDatabases { environment, _, server in
            var ops = server
            ops.database = "choreo_chaos_ops_\(UUID().uuidString.prefix(8).lowercased())"
            var environment = environment
            environment["CHOREO_CHAOS_OPS_DATABASE_URL"] = ChoreoTestSupport.databaseURL(of: ops)
            do {
                let output = try EndToEndTests.OutputFiles()
                let process = try EndToEndTests().launch(
                    ["chaos"] + arguments, environment: environment, output: output)
                let deadline = ContinuousClock.now + timeout
                while process.isRunning && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
                let ended = !process.isRunning
                if process.isRunning { process.terminate() }
                while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
                #expect(ended, "choreo chaos did not end within \(timeout): \(output.stdout.suffix(2_000))")
                try check(process, output)
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

    /// The report: the JSON object on the last line of standard output.
    private static func report(_ output: EndToEndTests.OutputFiles) throws -> [String: Any] {
        let stdout = output.stdout
        let last = stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(
            try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
            "no JSON report line: \(stdout.suffix(3_000)) \(output.stderr.suffix(2_000))")
    }

    @Test func aPgRestartCommandWhoseChildOutlivesItDoesNotHoldUpTheRun() async throws {
        // `pg_ctl restart` leaves the server running, and the server holds every descriptor
        // it inherited; a `sleep` in the background stands in for it. The run used to wait for
        // it (Foundation saw the command as running while a descriptor stayed open).
        try await chaos(
            [
                "--duration", "10", "--seed", "1", "--faults", "pg-restart", "--json",
                "--pg-restart-command", "sleep 400 & exit 0",
            ], timeout: .seconds(300)
        ) { process, output in
            let report = try Self.report(output)
            #expect(process.terminationStatus == 0, "\(output.stdout.suffix(3_000))")
            #expect((report["faults"] as? [String: Int])?["pg-restart"] == 1)
            #expect(report["fault_injection_failures"] as? [String] == [])
        }
    }

    @Test func aSixtySecondRunUnderEveryDefaultFaultKeepsEveryInvariantAndASecondPoisonReplayChangesNothing()
        async throws
    {
        try await chaos(
            ["--duration", "60", "--seed", "1", "--orders-per-second", "10", "--json", "--replay-poison"]
        ) { process, output in
            let report = try Self.report(output)
            let stdout = output.stdout
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
}
