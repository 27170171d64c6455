import Foundation

/// What a chaos run did and found: the table people read and the JSON object (snake_case
/// keys) a script reads.
struct ChaosReport: Encodable, Sendable {
    var seed: UInt64
    var durationS: Double
    var faultsEnabled: [String]
    var ordersSubmitted = 0
    var ordersConfirmed = 0
    var ordersCancelled = 0
    var kills = 0
    var restarts = 0
    /// Service processes that exited without being killed (restarted and counted).
    var unexpectedExits: [String] = []
    /// Faults injected, by kind.
    var faults: [String: Int] = [:]
    var faultInjectionFailures: [String] = []
    /// (event, group) pairs that received an event twice.
    var duplicatesInjected = 0
    /// Of those, the pairs whose processed-event table holds the event (applied once; the
    /// second copy suppressed).
    var duplicatesSuppressed = 0
    /// Dead letters by reason, each (message, group) once however often it was dead-lettered.
    var deadLetters: [String: Int] = [:]
    /// Records in the run's dead-letter store (nil without the dead-letter worker).
    var deadLettersStored: Int?
    /// `--replay-poison`: records replayed with valid data (the first time), records
    /// discarded as beyond repair, and the counts the second replay changed (must be 0).
    var poisonReplayed: Int?
    var poisonDiscarded: Int?
    var secondReplayChanged: Int?
    var poisonInjected = 0
    /// Poison that some consuming group did not dead-letter, or dead-lettered with another reason.
    var poisonNotDeadLettered: [String] = []
    /// Poison dead-lettered more than once by a group (a kill before the commit).
    var poisonDeadLetteredAgain = 0
    /// Dead letters of messages that were not injected poison (real traffic dead-lettered).
    var unexpectedDeadLetters = 0
    var lostEvents = 0
    /// `order.place` commands the embedded broker acknowledged that are not in its log (a
    /// loss of the broker, not of the system: see docs/reliability.md). Reported, not failed on.
    var brokerLostRecords = 0
    /// Lost events as `group topic[partition]@offset type id`, the first ten.
    var lostEventExamples: [String] = []
    var duplicateEffects = 0
    var invariantViolations = 0
    var invariants: [InvariantResult] = []
    var maxPartitionBlockedS = 0.0
    var maxPartitionBlockedAt: String?
    /// What the longest-blocked partition's group went through meanwhile (see `ChaosRun.explain`).
    var maxPartitionBlockedWhy: String?
    var settled = false
    /// From the end of the faults until the system settled (or the settle timeout).
    var settleS = 0.0
    var problems: [String] = []

    var passed: Bool { problems.isEmpty }

    enum CodingKeys: String, CodingKey {
        case seed, durationS, faultsEnabled, ordersSubmitted, ordersConfirmed, ordersCancelled, kills, restarts
        case unexpectedExits, faults, faultInjectionFailures, duplicatesInjected, duplicatesSuppressed, deadLetters
        case deadLettersStored, poisonReplayed, poisonDiscarded, secondReplayChanged
        case poisonInjected, poisonNotDeadLettered, poisonDeadLetteredAgain, unexpectedDeadLetters, lostEvents,
            lostEventExamples, brokerLostRecords, duplicateEffects
        case invariantViolations, invariants, maxPartitionBlockedS, maxPartitionBlockedAt, maxPartitionBlockedWhy,
            settled, settleS
        case problems, passed
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seed, forKey: .seed)
        try container.encode(durationS, forKey: .durationS)
        try container.encode(faultsEnabled, forKey: .faultsEnabled)
        try container.encode(ordersSubmitted, forKey: .ordersSubmitted)
        try container.encode(ordersConfirmed, forKey: .ordersConfirmed)
        try container.encode(ordersCancelled, forKey: .ordersCancelled)
        try container.encode(kills, forKey: .kills)
        try container.encode(restarts, forKey: .restarts)
        try container.encode(unexpectedExits, forKey: .unexpectedExits)
        try container.encode(faults, forKey: .faults)
        try container.encode(faultInjectionFailures, forKey: .faultInjectionFailures)
        try container.encode(duplicatesInjected, forKey: .duplicatesInjected)
        try container.encode(duplicatesSuppressed, forKey: .duplicatesSuppressed)
        try container.encode(deadLetters, forKey: .deadLetters)
        try container.encodeIfPresent(deadLettersStored, forKey: .deadLettersStored)
        try container.encodeIfPresent(poisonReplayed, forKey: .poisonReplayed)
        try container.encodeIfPresent(poisonDiscarded, forKey: .poisonDiscarded)
        try container.encodeIfPresent(secondReplayChanged, forKey: .secondReplayChanged)
        try container.encode(poisonInjected, forKey: .poisonInjected)
        try container.encode(poisonNotDeadLettered, forKey: .poisonNotDeadLettered)
        try container.encode(poisonDeadLetteredAgain, forKey: .poisonDeadLetteredAgain)
        try container.encode(unexpectedDeadLetters, forKey: .unexpectedDeadLetters)
        try container.encode(lostEvents, forKey: .lostEvents)
        try container.encode(lostEventExamples, forKey: .lostEventExamples)
        try container.encode(brokerLostRecords, forKey: .brokerLostRecords)
        try container.encode(duplicateEffects, forKey: .duplicateEffects)
        try container.encode(invariantViolations, forKey: .invariantViolations)
        try container.encode(invariants, forKey: .invariants)
        try container.encode((maxPartitionBlockedS * 10).rounded() / 10, forKey: .maxPartitionBlockedS)
        try container.encodeIfPresent(maxPartitionBlockedAt, forKey: .maxPartitionBlockedAt)
        try container.encodeIfPresent(maxPartitionBlockedWhy, forKey: .maxPartitionBlockedWhy)
        try container.encode(settled, forKey: .settled)
        try container.encode((settleS * 10).rounded() / 10, forKey: .settleS)
        try container.encode(problems, forKey: .problems)
        try container.encode(passed, forKey: .passed)
    }

    /// One JSON object on one line.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report as a table of labelled lines.
    func table() -> [String] {
        func list(_ counts: [String: Int]) -> String {
            counts.isEmpty
                ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        var rows: [(String, String)] = [
            ("seed / duration", "\(seed) / \(Int(durationS)) s; faults: \(faultsEnabled.joined(separator: ","))"),
            ("orders", "submitted \(ordersSubmitted), confirmed \(ordersConfirmed), cancelled \(ordersCancelled)"),
            ("faults", list(faults)),
            ("processes", "killed \(kills), restarted \(restarts), exited by themselves \(unexpectedExits.count)"),
            ("duplicates", "injected \(duplicatesInjected) (event, group) pairs, suppressed \(duplicatesSuppressed)"),
            ("dead letters", list(deadLetters) + (deadLettersStored.map { "; \($0) in the store" } ?? "")),
            (
                "poison",
                "injected \(poisonInjected), not dead-lettered as expected \(poisonNotDeadLettered.count), dead-lettered again \(poisonDeadLetteredAgain); other dead letters \(unexpectedDeadLetters)"
            ),
            ("lost events", "\(lostEvents)"),
        ]
        if let poisonReplayed, let poisonDiscarded {
            rows.append(
                (
                    "poison replay",
                    "replayed \(poisonReplayed), discarded \(poisonDiscarded); second replay changed \(secondReplayChanged.map(String.init) ?? "-")"
                ))
        }
        rows += [
            (
                "broker lost records",
                "\(brokerLostRecords)"
                    + (brokerLostRecords > 0
                        ? " (WARNING: acknowledged by the embedded broker, absent from its log)" : "")
            ),
            ("duplicate effects", "\(duplicateEffects)"),
            ("invariant violations", "\(invariantViolations)"),
            (
                "longest blocked",
                String(format: "%.1f s", maxPartitionBlockedS) + (maxPartitionBlockedAt.map { " (\($0))" } ?? "")
                    + (maxPartitionBlockedWhy.map { ": \($0)" } ?? "")
            ),
            ("settle", (settled ? "settled in " : "NOT settled after ") + String(format: "%.1f s", settleS)),
        ]
        for result in invariants {
            rows.append(
                (
                    "  " + result.name,
                    "\(result.passed ? "PASS" : "FAIL") \(result.checked) checked, \(result.violations) violations"
                ))
        }
        for problem in problems { rows.append(("PROBLEM", problem)) }
        rows.append(("result", passed ? "PASS" : "FAIL"))
        return rows.map { $0.0.padding(24) + $0.1 }
    }
}
