import Foundation

/// A Swift type a result column can be decoded into, from PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value.
    static func decode(postgresText: String) throws -> Self
    /// The value for SQL NULL; `nil` means NULL is an error for this type.
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Wrapped? {
        try Wrapped.decode(postgresText: postgresText)
    }
    public static var postgresNull: Wrapped?? { .some(nil) }
}

extension String: PostgresDecodable {
    public static func decode(postgresText: String) throws -> String { postgresText }
}

private func integer<T: FixedWidthInteger>(_ text: String, _ type: T.Type) throws -> T {
    guard let value = T(text) else {
        throw PostgresError(code: .decoding, message: "'\(text.prefix(40))' is not a \(T.self)")
    }
    return value
}

extension Int: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Int { try integer(postgresText, Int.self) }
}

extension Int64: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Int64 { try integer(postgresText, Int64.self) }
}

extension Int32: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Int32 { try integer(postgresText, Int32.self) }
}

extension Int16: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Int16 { try integer(postgresText, Int16.self) }
}

extension Bool: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Bool {
        switch postgresText {
        case "t", "true": return true
        case "f", "false": return false
        default: throw PostgresError(code: .decoding, message: "'\(postgresText.prefix(10))' is not a boolean")
        }
    }
}

extension Double: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Double {
        switch postgresText {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(postgresText) else {
                throw PostgresError(code: .decoding, message: "'\(postgresText.prefix(40))' is not a number")
            }
            return value
        }
    }
}

extension Float: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Float {
        Float(try Double.decode(postgresText: postgresText))
    }
}

extension UUID: PostgresDecodable {
    public static func decode(postgresText: String) throws -> UUID {
        guard let value = UUID(uuidString: postgresText) else {
            throw PostgresError(code: .decoding, message: "'\(postgresText.prefix(40))' is not a UUID")
        }
        return value
    }
}

extension Date: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Date { try PostgresTimestamp.parse(postgresText) }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// `bytea` in hex output format.
    public static func decode(postgresText: String) throws -> [UInt8] { try PostgresBytes.decode(postgresText) }
}

extension Data: PostgresDecodable {
    public static func decode(postgresText: String) throws -> Data { Data(try PostgresBytes.decode(postgresText)) }
}

extension PostgresJSON: PostgresDecodable {
    public static func decode(postgresText: String) throws -> PostgresJSON { PostgresJSON(postgresText) }
}
