/// Where a stored dead letter stands. Open: stored as text.
public struct DeadLetterStatus: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Stored, not acted on yet (or waiting for an automatic re-drive).
    public static let pending = DeadLetterStatus("pending")
    /// Published again (to the group's replay topic or the original topic).
    public static let replayed = DeadLetterStatus("replayed")
    /// Given up on by a person, with a reason.
    public static let discarded = DeadLetterStatus("discarded")
    /// Set aside: no automatic re-drive touches it (also the state at a re-drive limit).
    public static let held = DeadLetterStatus("held")

    public static let all: [DeadLetterStatus] = [.pending, .replayed, .discarded, .held]
}
