import Contracts
import Foundation
import Kafka

/// The `headers` column: a JSON object of header name to string value.
enum OutboxHeaders {
    /// Encodes headers as a JSON object. Header values are UTF-8 strings by construction
    /// (CloudEvents attributes); a non-UTF-8 or null value is stored as an empty string.
    static func encode(_ headers: [KafkaHeader]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headers.reduce(2) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) + 6 })
        out.append(UInt8(ascii: "{"))
        for (index, header) in headers.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(header.key.utf8, to: &out)
            out.append(UInt8(ascii: ":"))
            if let value = header.value, String(validating: value, as: UTF8.self) != nil {
                appendString(value, to: &out)
            } else {
                appendString("".utf8, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Decodes the column's text into headers, sorted by name so that output is stable.
    static func decode(_ text: String) throws -> [KafkaHeader] {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: Array(text.utf8))
        } catch {
            throw OutboxError(code: .malformedRow, message: "headers column is not a JSON object", underlying: error)
        }
        guard case .object(let object) = document else {
            throw OutboxError(code: .malformedRow, message: "headers column is not a JSON object")
        }
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(object.count)
        for key in object.keys.sorted() {
            switch object[key] {
            case .string(let string): headers.append(KafkaHeader(key: key, string: string))
            case .null: headers.append(KafkaHeader(key: key, value: nil))
            default: throw OutboxError(code: .malformedRow, message: "header \(key) is not a string")
            }
        }
        return headers
    }

    /// Appends UTF-8 text as a JSON string.
    private static func appendString(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(92)
                out.append(byte)
            case 0x0A: out.append(92); out.append(110)
            case 0x0D: out.append(92); out.append(114)
            case 0x09: out.append(92); out.append(116)
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                out.append(contentsOf: [92, 117, 48, 48])
                hex.withUTF8Buffer { digits in
                    out.append(digits[Int(byte >> 4)])
                    out.append(digits[Int(byte & 0xF)])
                }
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
