import ArgumentParser
import Foundation
import Logging
import Postgres
import Services

/// `choreo verify`: the reference system's invariants, against the service databases.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the reference system's invariants against the service databases.",
        discussion: """
            Checks, again and again for up to --settle seconds until they hold (orders in flight end): every
            accepted order is confirmed or cancelled; per SKU initial = available + reserved +
            sold; exactly one capture per confirmed order and none for a cancelled one; one
            notification per (order, kind); no event's effects applied twice. Prints each with
            pass/fail and counts; exits 1 on any violation. The databases are found as
            `choreo service run` finds them (CHOREO_<SERVICE>_DATABASE_URL, CHOREO_DATABASE_URL).
            """
    )

    @Option(help: "Seconds to wait for orders in flight to end before checking.")
    var settle: Double = 10

    @Flag(help: "Print one JSON object instead of lines.")
    var json = false

    func validate() throws {
        guard settle >= 0, settle <= 3600 else { throw ValidationError("--settle must be 0…3600 seconds") }
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        let logger = Logger(label: "choreo.verify")
        let results = try await ReferenceInvariants.withConnections(logger: logger) { invariants in
            // Effects still in flight (a notification, a sale) settle after the order ends:
            // check until everything holds or the settle time is up.
            let deadline = ContinuousClock.now + .milliseconds(Int(settle * 1000))
            var results = try await invariants.check()
            while !results.allSatisfy(\.passed), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                results = try await invariants.check()
            }
            return results
        }
        let passed = results.allSatisfy(\.passed)
        if json {
            struct Report: Encodable {
                var passed: Bool
                var invariants: [InvariantResult]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Report(passed: passed, invariants: results)), as: UTF8.self))
        } else {
            for result in results {
                print(
                    "\(result.passed ? "PASS" : "FAIL")  \(result.name): \(result.checked) checked, \(result.violations) violations — \(result.detail)"
                )
            }
            print(passed ? "all invariants hold" : "invariants violated")
        }
        if !passed { throw ExitCode(1) }
    }
}
