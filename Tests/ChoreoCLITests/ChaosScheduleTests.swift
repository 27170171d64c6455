import ChoreoTestSupport
import Foundation
import Testing

/// `choreo chaos --schedule-only`: the fault schedule drawn from the seed.
@Suite struct ChaosScheduleTests {
    private func schedule(_ arguments: [String]) async throws -> [[String: Any]] {
        let run = try await CLI.run(["chaos", "--schedule-only"] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        return try run.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func theSameSeedGivesTheSameScheduleAndAnotherSeedAnother() async throws {
        let first = try await CLI.run(["chaos", "--schedule-only", "--seed", "7", "--duration", "120"])
        let again = try await CLI.run(["chaos", "--schedule-only", "--seed", "7", "--duration", "120"])
        let other = try await CLI.run(["chaos", "--schedule-only", "--seed", "8", "--duration", "120"])
        #expect(!first.stdout.isEmpty)
        #expect(first.stdout == again.stdout)
        #expect(first.stdout != other.stdout)
    }

    @Test func everyDefaultKindHappensKillsComeAtLeastEveryFiveSecondsAndPgRestartOnlyWhenNamed() async throws {
        let faults = try await schedule(["--seed", "1", "--duration", "60"])
        let kinds = Set(faults.compactMap { $0["kind"] as? String })
        #expect(kinds == ["kill", "broker-down", "broker-errors", "partition", "poison", "duplicates"])
        let kills = faults.filter { $0["kind"] as? String == "kill" }.compactMap { $0["at"] as? Double }
        let gaps = zip([0] + kills, kills + [60]).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 <= 5 }, "\(gaps)")

        let restarts = try await schedule(["--seed", "1", "--duration", "300", "--faults", "pg-restart"])
            .compactMap { $0["at"] as? Double }
        #expect(restarts.count >= 2)
        #expect(zip(restarts, restarts.dropFirst()).allSatisfy { $1 - $0 >= 60 })
    }

    @Test func anUnknownFaultIsRefused() async throws {
        let run = try await CLI.run(["chaos", "--schedule-only", "--faults", "kill,meteor"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("unknown fault 'meteor'"), "\(run.stderr)")
    }
}
