import Foundation

/// A Swift value that can be bound as a query parameter. Values are sent in PostgreSQL's
/// text format; the server parses them as the parameter's type (write a cast such as
/// `\(ids)::uuid[]` where the type is not clear from the statement).
public protocol PostgresEncodable: Sendable {
    /// The text form of the value, or `nil` for SQL NULL.
    var postgresText: String? { get }
}

extension String: PostgresEncodable {
    public var postgresText: String? { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int16: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable {
    public var postgresText: String? { self ? "t" : "f" }
}

extension Double: PostgresEncodable {
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
}

extension Float: PostgresEncodable {
    public var postgresText: String? { Double(self).postgresText }
}

extension UUID: PostgresEncodable {
    public var postgresText: String? { uuidString.lowercased() }
}

extension Date: PostgresEncodable {
    /// `timestamptz` in UTC with microseconds.
    public var postgresText: String? { PostgresTimestamp.format(self) }
}

/// `bytea`: raw bytes (zeros included), sent as hex.
extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public var postgresText: String? { Element.postgresArrayText(self) }
}

extension Data: PostgresEncodable {
    public var postgresText: String? { PostgresBytes.hex(self) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }
}

/// JSON sent as text for a `json`/`jsonb` parameter. The bytes must be valid UTF-8 JSON;
/// the server rejects anything else.
public struct PostgresJSON: PostgresEncodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public init(_ bytes: [UInt8]) { self.text = String(decoding: bytes, as: UTF8.self) }
    public var postgresText: String? { text }
}

enum PostgresBytes {
    private static let digits = Array("0123456789abcdef".utf8)

    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(2 + bytes.count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes the `\x…` hex output of `bytea`.
    static func decode(_ text: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw PostgresError(code: .decoding, message: "bytea value is not in hex format")
        }
        var out = [UInt8]()
        out.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else {
                throw PostgresError(code: .decoding, message: "bytea value has a non-hex digit")
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
