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
    /// Every item quoted and escaped, so any text is safe.
    static func render(_ items: [String?]) -> String {
        var out = "{"
        out.reserveCapacity(items.count * 16 + 2)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(",") }
            guard let item else {
                out.append("NULL")
                continue
            }
            out.append("\"")
            for character in item.unicodeScalars {
                if character == "\"" || character == "\\" { out.append("\\") }
                out.unicodeScalars.append(character)
            }
            out.append("\"")
        }
        out.append("}")
        return out
    }
}
