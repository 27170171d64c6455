import Foundation

/// Types whose Swift arrays bind as PostgreSQL arrays (`text[]`, `bigint[]`, `uuid[]`,
/// `bytea[]` for `[[UInt8]]`…) — and `UInt8`, whose arrays bind as `bytea`. Used with
/// `unnest` for bulk statements.
public protocol PostgresArrayElement: Sendable {
    /// The text of an array of these elements.
    static func postgresArrayText(_ elements: [Self]) -> String?
}

extension PostgresArrayElement where Self: PostgresEncodable {
    /// An array literal: `{"a","b",NULL}`.
    public static func postgresArrayText(_ elements: [Self]) -> String? {
        PostgresArrayLiteral.render(elements.map(\.postgresText))
    }
}

extension UInt8: PostgresArrayElement {
    /// `[UInt8]` is `bytea`, not an array.
    public static func postgresArrayText(_ elements: [UInt8]) -> String? { PostgresBytes.hex(elements) }
}

extension String: PostgresArrayElement {}
extension Int: PostgresArrayElement {}
extension Int64: PostgresArrayElement {}
extension Int32: PostgresArrayElement {}
extension Int16: PostgresArrayElement {}
extension Bool: PostgresArrayElement {}
extension Double: PostgresArrayElement {}
extension UUID: PostgresArrayElement {}
extension Date: PostgresArrayElement {}
extension PostgresJSON: PostgresArrayElement {}
extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement & PostgresEncodable {}
/// `[[UInt8]]` binds as `bytea[]`.
extension Array: PostgresArrayElement where Element == UInt8 {}

enum PostgresArrayLiteral {
    /// Every item quoted and escaped, so any text is safe. Built on UTF-8 bytes: only `"`
    /// and `\` need escaping, and both are ASCII, so bytes of other characters are copied.
    static func render(_ items: [String?]) -> String {
        var capacity = 2
        for item in items { capacity += (item?.utf8.count ?? 4) + 3 }
        var out: [UInt8] = []
        out.reserveCapacity(capacity + capacity / 8)
        out.append(UInt8(ascii: "{"))
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard var item else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            item.withUTF8 { bytes in
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                    out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
