/// A contract name and major version: `order.placed` v1, written `order.placed.v1`
/// (the CloudEvents `ce_type`).
public struct EventType: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// The contract name, e.g. `order.placed`.
    public var name: String
    /// The major version, ≥ 1.
    public var version: Int

    public init(name: String, version: Int) {
        self.name = name
        self.version = version
    }

    /// Parses `<name>.v<N>`; nil when the text has no `.vN` suffix or the name is empty.
    public init?(parsing text: String) {
        guard let dot = text.lastIndex(of: "."), dot != text.startIndex else { return nil }
        let suffix = text[text.index(after: dot)...]
        guard suffix.first == "v", let version = Int(suffix.dropFirst()), version >= 1,
            suffix.dropFirst().allSatisfy(\.isASCII)
        else { return nil }
        let name = String(text[..<dot])
        guard Self.isValidName(name) else { return nil }
        self.init(name: name, version: version)
    }

    /// `order.placed.v1`.
    public var description: String { "\(name).v\(version)" }

    /// Contract names: lower-case words of `[a-z0-9-]` separated by dots.
    public static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 200 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }
        }
    }

    public static func < (lhs: EventType, rhs: EventType) -> Bool {
        (lhs.name, lhs.version) < (rhs.name, rhs.version)
    }
}
