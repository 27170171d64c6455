import Foundation

/// The RFC 4122 text form of a UUID (`8-4-4-4-12` hex digits, either case), parsed from
/// its UTF-8 bytes: Foundation's `UUID(uuidString:)` goes through `sscanf` on Linux, which
/// costs more than decoding the rest of an envelope.
public enum UUIDText {
    /// The lower-case text form (`ce_id`, correlation ids), without `uuidString`'s
    /// `snprintf` and the `lowercased()` copy.
    public static func lowercased(_ uuid: UUID) -> String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                digits.withUTF8Buffer { hex in
                    var offset = 0
                    for (index, byte) in bytes.enumerated() {
                        if index == 4 || index == 6 || index == 8 || index == 10 {
                            out[offset] = UInt8(ascii: "-")
                            offset += 1
                        }
                        out[offset] = hex[Int(byte >> 4)]
                        out[offset + 1] = hex[Int(byte & 0x0F)]
                        offset += 2
                    }
                    return offset
                }
            }
        }
    }

    public static func parse(_ text: String) -> UUID? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard bytes.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &value) { out -> Bool in
            var offset = 0
            for slot in 0..<16 {
                if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                    guard bytes[offset] == UInt8(ascii: "-") else { return false }
                    offset += 1
                }
                guard let high = hexValue(bytes[offset]), let low = hexValue(bytes[offset + 1]) else { return false }
                out[slot] = high << 4 | low
                offset += 2
            }
            return true
        }
        return valid ? UUID(uuid: value) : nil
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 97...102: return byte - 87
        case 65...70: return byte - 55
        default: return nil
        }
    }
}
