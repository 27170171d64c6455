import Foundation

/// `timestamptz` text in UTC (`2026-11-23 10:00:00.123456+00`), microsecond precision.
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int64((totalMicros / 1_000_000).rounded(.down))
        let micros = Int64(totalMicros) - seconds * 1_000_000
        let days = Int64((Double(seconds) / 86_400).rounded(.down))
        seconds -= days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return String(
            format: "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld+00", year, month, day, seconds / 3600,
            (seconds % 3600) / 60, seconds % 60, micros)
    }

    static func parse(_ text: String) throws -> Date {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for index in range {
                let digit = bytes[index]
                guard digit >= 48 && digit <= 57 else { return nil }
                value = value * 10 + Int64(digit - 48)
            }
            return value
        }
        guard bytes.count >= 19, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else {
            throw PostgresError(code: .decoding, message: "'\(text.prefix(40))' is not a timestamp")
        }
        var index = 19
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            let hours = number((index + 1)..<(index + 3)) ?? 0
            var minutes: Int64 = 0
            if index + 3 < bytes.count, bytes[index + 3] == UInt8(ascii: ":") {
                minutes = number((index + 4)..<(index + 6)) ?? 0
            }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let total = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(total) + Double(micros) / 1_000_000)
    }

    /// Howard Hinnant's days-from-civil algorithm (proleptic Gregorian).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
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
}
