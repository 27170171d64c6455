import Foundation

/// Strict RFC 3339 grammar (section 5.6) for `format` assertions and `ce_time`:
/// `full-date "T" full-time`, case-insensitive `T`/`Z`, leap seconds only at 23:59:60 UTC.
enum RFC3339Parser {
    struct Time {
        var hour: Int, minute: Int, second: Int, nanos: Int
        var offsetMinutes: Int
    }

    /// Parses a date-time to a `Date`; nil when it is not RFC 3339.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        let separator = bytes[10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " "),
            let (year, month, day) = date(bytes[0..<10]), let time = time(bytes[11...])
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds =
            days * 86_400 + time.hour * 3600 + time.minute * 60 + min(time.second, 59) - time.offsetMinutes * 60
        return Date(timeIntervalSince1970: Double(seconds) + Double(time.nanos) / 1e9)
    }

    static func isDateTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") else { return false }
        return date(bytes[0..<10]) != nil && time(bytes[11...]) != nil
    }

    static func isDate(_ text: String) -> Bool { date(Array(text.utf8)[...]) != nil }

    static func isTime(_ text: String) -> Bool { time(Array(text.utf8)[...]) != nil }

    private static func digits(_ bytes: ArraySlice<UInt8>, _ start: Int, _ count: Int) -> Int? {
        let base = bytes.startIndex + start
        guard base + count <= bytes.endIndex else { return nil }
        var value = 0
        for index in base..<(base + count) {
            let byte = bytes[index]
            guard byte >= 48, byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    private static func date(_ bytes: ArraySlice<UInt8>) -> (Int, Int, Int)? {
        guard bytes.count == 10, bytes[bytes.startIndex + 4] == UInt8(ascii: "-"),
            bytes[bytes.startIndex + 7] == UInt8(ascii: "-"),
            let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
            (1...12).contains(month), day >= 1
        else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= lengths[month - 1] else { return nil }
        return (year, month, day)
    }

    private static func time(_ bytes: ArraySlice<UInt8>) -> Time? {
        guard bytes.count >= 9, let hour = digits(bytes, 0, 2), bytes[bytes.startIndex + 2] == UInt8(ascii: ":"),
            let minute = digits(bytes, 3, 2), bytes[bytes.startIndex + 5] == UInt8(ascii: ":"),
            let second = digits(bytes, 6, 2), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var index = bytes.startIndex + 8
        var nanos = 0
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var count = 0
            while index < bytes.endIndex, bytes[index] >= 48, bytes[index] <= 57 {
                if count < 9 { nanos = nanos * 10 + Int(bytes[index] - 48) }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            if count < 9 { for _ in count..<9 { nanos *= 10 } }
        }
        guard index < bytes.endIndex else { return nil }
        var offset = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.endIndex else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            let rest = bytes[(index + 1)...]
            guard rest.count == 5, let oh = digits(rest, 0, 2), rest[rest.startIndex + 2] == UInt8(ascii: ":"),
                let om = digits(rest, 3, 2), oh <= 23, om <= 59
            else { return nil }
            offset = sign * (oh * 60 + om)
        default:
            return nil
        }
        if second == 60 {
            // A leap second exists only at 23:59:60 UTC.
            let utcMinutes = ((hour * 60 + minute - offset) % 1440 + 1440) % 1440
            guard utcMinutes == 23 * 60 + 59 else { return nil }
        }
        return Time(hour: hour, minute: minute, second: second, nanos: nanos, offsetMinutes: offset)
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
