import Foundation

/// The `format` values Choreo asserts: date-time, date, time (RFC 3339), uuid (RFC 4122
/// text form) and email (RFC 5321 mailbox, practical subset). Other formats are annotations.
enum FormatAssertion {
    /// `nil` for formats that are not asserted; otherwise whether `value` conforms.
    static func check(_ format: String, _ value: String) -> Bool? {
        switch format {
        case "date-time": return RFC3339Parser.isDateTime(value)
        case "date": return RFC3339Parser.isDate(value)
        case "time": return RFC3339Parser.isTime(value)
        case "uuid": return isUUID(value)
        case "email": return isEmail(value)
        default: return nil
        }
    }

    static func isUUID(_ value: String) -> Bool { UUIDText.parse(value) != nil }

    static func isEmail(_ value: String) -> Bool {
        guard let at = value.lastIndex(of: "@") else { return false }
        let local = value[..<at]
        let domain = value[value.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty else { return false }
        if local.hasPrefix("\"") {
            guard local.count >= 2, local.hasSuffix("\"") else { return false }
        } else {
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.")
            guard local.allSatisfy({ allowed.contains($0) || !$0.isASCII }), !local.hasPrefix("."),
                !local.hasSuffix("."),
                !local.contains("..")
            else { return false }
        }
        if domain.hasPrefix("[") {
            guard domain.hasSuffix("]") else { return false }
            var literal = domain.dropFirst().dropLast()
            if literal.hasPrefix("IPv6:") {
                literal = literal.dropFirst(5)
                var address = in6_addr()
                return inet_pton(AF_INET6, String(literal), &address) == 1
            }
            var address = in_addr()
            return inet_pton(AF_INET, String(literal), &address) == 1
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
    }
}
