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
        let bytes = text.utf8
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot != bytes.startIndex else { return nil }
        let suffix = bytes[bytes.index(after: dot)...]
        guard suffix.first == UInt8(ascii: "v"), suffix.count >= 2, suffix.count <= 9 else { return nil }
        var version = 0
        for byte in suffix.dropFirst() {
            guard byte >= 48 && byte <= 57 else { return nil }
            version = version * 10 + Int(byte - 48)
        }
        guard version >= 1, let name = String(bytes[..<dot]), Self.isValidName(name) else { return nil }
        self.init(name: name, version: version)
    }

    /// `order.placed.v1`.
    public var description: String { "\(name).v\(version)" }

    /// Contract names: lower-case words of `[a-z0-9-]` separated by dots.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 200 else { return false }
        var previous = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."): guard previous != UInt8(ascii: ".") else { return false }
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): break
            default: return false
            }
            previous = byte
        }
        return previous != UInt8(ascii: ".")
    }

    public static func < (lhs: EventType, rhs: EventType) -> Bool {
        (lhs.name, lhs.version) < (rhs.name, rhs.version)
    }
}
