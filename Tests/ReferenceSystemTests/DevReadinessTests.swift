import ChoreoTestSupport
import Foundation
import Testing

extension EndToEndTests {
    @Test(
        "dev up seeds and sends only once the system is ready, says when it was, and names what was not ready when it times out"
    )
    func devUpWaitsUntilTheSystemIsReady() async throws {
        try await withRunDatabases { environment, _, _ in
            // The embedded broker forms an empty group only 3 s after its first member joined.
            let early = try OutputFiles()
            let timedOut = try launch(
                ["dev", "up", "--ready-timeout", "0.5", "--orders-per-second", "5", "--duration", "2"],
                environment: environment, output: early)
            let deadline = ContinuousClock.now + .seconds(120)
            while timedOut.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if timedOut.isRunning { timedOut.terminate() }
            #expect(timedOut.terminationStatus != 0)
            #expect(early.stderr.contains("the system was not ready within"), "\(early.stderr.suffix(2_000))")
            #expect(early.stderr.contains("consumers (not joined: "), "\(early.stderr.suffix(2_000))")
            #expect(!early.stdout.contains("seeded"))

            let output = try OutputFiles()
            let process = try launch(
                ["dev", "up", "--orders-per-second", "5", "--duration", "1", "--customers", "4"],
                environment: environment, output: output)
            while process.isRunning && ContinuousClock.now < deadline + .seconds(60) {
                try await Task.sleep(for: .milliseconds(50))
            }
            if process.isRunning { process.terminate() }
            #expect(process.terminationStatus == 0, "\(output.stderr.suffix(2_000))")
            let lines = output.stdout.split(separator: "\n")
            let ready = try #require(lines.firstIndex { $0.hasPrefix("ready in ") }, "\(output.stdout.suffix(2_000))")
            let seeded = try #require(lines.firstIndex { $0.hasPrefix("seeded ") })
            #expect(ready < seeded)
        }
    }
}
