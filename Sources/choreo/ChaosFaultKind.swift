import Foundation
import Services

/// The kinds of fault `choreo chaos` injects, each switched on or off by name in `--faults`.
enum ChaosFaultKind: String, CaseIterable, Codable, Sendable, Comparable {
    case kill
    case brokerDown = "broker-down"
    case brokerErrors = "broker-errors"
    case pgRestart = "pg-restart"
    case partition
    case poison
    case duplicates

    /// Every kind but `pg-restart`, which restarts the whole PostgreSQL server (shared with
    /// anything else on the machine): it must be asked for by name.
    static let defaults: [ChaosFaultKind] = allCases.filter { $0 != .pgRestart }

    static func < (lhs: ChaosFaultKind, rhs: ChaosFaultKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Parses `kill,broker-down,…` (or `all`, or `default`).
    static func parse(_ list: String) throws -> [ChaosFaultKind] {
        var kinds: [ChaosFaultKind] = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            switch name {
            case "all": kinds += allCases
            case "default": kinds += defaults
            case "none": continue
            default:
                guard let kind = ChaosFaultKind(rawValue: name) else {
                    throw ServiceError(
                        code: .configuration,
                        message:
                            "unknown fault '\(name.prefix(40))'; known: \(allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                kinds.append(kind)
            }
        }
        return Array(Set(kinds)).sorted()
    }
}
