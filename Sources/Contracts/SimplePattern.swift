/// The common shape of contract patterns — an anchored sequence of character classes or
/// literals, each with a quantifier, like `^[A-Z0-9-]{3,32}$` — matched without a regex
/// engine: NSRegularExpression costs microseconds per call on Linux (ICU and NSString
/// bridging), several times the rest of a validation.
///
/// `init` returns nil for anything else (groups, alternation, unanchored patterns, `\s`,
/// `\p{…}`, non-ASCII in the pattern…), and the caller uses NSRegularExpression. Matching
/// is a set-of-positions simulation, linear in the input per atom, so no input can make
/// it backtrack exponentially.
struct SimplePattern: Sendable {
    /// One atom: a set of characters and how many times in a row it may occur.
    struct Atom: Sendable {
        /// ASCII members, as a 128-bit set.
        var low: UInt64 = 0
        var high: UInt64 = 0
        /// Whether characters outside ASCII belong to the set (negated classes, `.`).
        var nonASCII = false
        /// `.`: every character but the line terminators.
        var excludesLineTerminators = false
        var minimum = 1
        var maximum = 1

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            let value = scalar.value
            if value >= 128 { return nonASCII && !(excludesLineTerminators && (value == 0x2028 || value == 0x2029)) }
            return value < 64 ? low & (1 << UInt64(value)) != 0 : high & (1 << UInt64(value - 64)) != 0
        }

        mutating func insert(_ value: UInt8) {
            if value < 64 { low |= 1 << UInt64(value) } else { high |= 1 << UInt64(value - 64) }
        }

        mutating func insert(_ range: ClosedRange<UInt8>) { for value in range { insert(value) } }

        mutating func invert() {
            low = ~low
            high = ~high
            nonASCII = !nonASCII
        }
    }

    let atoms: [Atom]

    init?(_ source: String) {
        guard source.utf8.allSatisfy({ $0 < 128 }) else { return nil }
        let bytes = Array(source.utf8)
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "^"), bytes.last == UInt8(ascii: "$"),
            bytes.count < 3 || bytes[bytes.count - 2] != UInt8(ascii: "\\")
        else { return nil }
        var parser = Parser(bytes: bytes[1..<(bytes.count - 1)])
        guard let atoms = parser.parseAtoms() else { return nil }
        self.atoms = atoms
    }

    /// Whether the whole string matches.
    func matches(_ string: String) -> Bool {
        let scalars = Array(string.unicodeScalars)
        let count = scalars.count
        // reachable[p]: the atoms so far can match exactly scalars[0..<p].
        var reachable = [Bool](repeating: false, count: count + 1)
        reachable[0] = true
        var next = [Bool](repeating: false, count: count + 1)
        for atom in atoms {
            for index in next.indices { next[index] = false }
            var any = false
            for start in 0...count where reachable[start] {
                var length = 0
                if atom.minimum == 0 {
                    next[start] = true
                    any = true
                }
                while length < atom.maximum, start + length < count, atom.contains(scalars[start + length]) {
                    length += 1
                    if length >= atom.minimum {
                        next[start + length] = true
                        any = true
                    }
                }
            }
            guard any else { return false }
            swap(&reachable, &next)
        }
        return reachable[count]
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        var index: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            index = bytes.startIndex
        }

        mutating func parseAtoms() -> [Atom]? {
            var atoms: [Atom] = []
            while index < bytes.endIndex {
                guard var atom = parseAtom() else { return nil }
                guard parseQuantifier(into: &atom) else { return nil }
                atoms.append(atom)
            }
            return atoms
        }

        private mutating func parseAtom() -> Atom? {
            let byte = bytes[index]
            index += 1
            var atom = Atom()
            switch byte {
            case UInt8(ascii: "["):
                return parseClass()
            case UInt8(ascii: "\\"):
                guard index < bytes.endIndex, Self.applyEscape(bytes[index], to: &atom) else { return nil }
                index += 1
            case UInt8(ascii: "."):
                atom.insert(0...9)
                atom.insert(11...12)
                atom.insert(14...127)
                atom.nonASCII = true
                atom.excludesLineTerminators = true
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "|"), UInt8(ascii: "^"), UInt8(ascii: "$"),
                UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"), UInt8(ascii: "}"),
                UInt8(ascii: "]"):
                return nil
            default:
                atom.insert(byte)
            }
            return atom
        }

        /// `[...]` after the `[`.
        private mutating func parseClass() -> Atom? {
            var atom = Atom()
            var negated = false
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "^") {
                negated = true
                index += 1
            }
            // `[]` and `[^]` mean "nothing" and "anything" in ECMA-262: rare, left to the fallback.
            guard index < bytes.endIndex, bytes[index] != UInt8(ascii: "]") else { return nil }
            while index < bytes.endIndex {
                let byte = bytes[index]
                if byte == UInt8(ascii: "]") {
                    index += 1
                    if negated { atom.invert() }
                    return atom
                }
                guard byte != UInt8(ascii: "[") else { return nil }
                let low: UInt8
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < bytes.endIndex else { return nil }
                    let escaped = bytes[index + 1]
                    index += 2
                    if let literal = Self.literalEscape(escaped) {
                        low = literal
                    } else if Self.applyEscape(escaped, to: &atom) {
                        continue
                    } else {
                        return nil
                    }
                } else {
                    low = byte
                    index += 1
                }
                // A range `a-z` (a `-` before `]` is a literal).
                if index + 1 < bytes.endIndex, bytes[index] == UInt8(ascii: "-"), bytes[index + 1] != UInt8(ascii: "]")
                {
                    var high = bytes[index + 1]
                    index += 2
                    if high == UInt8(ascii: "\\") {
                        guard index < bytes.endIndex, let literal = Self.literalEscape(bytes[index]) else { return nil }
                        high = literal
                        index += 1
                    }
                    guard low <= high else { return nil }
                    atom.insert(low...high)
                } else {
                    atom.insert(low)
                }
            }
            return nil
        }

        /// `{n}`, `{n,}`, `{n,m}`, `*`, `+`, `?` (a lazy `?` after it changes nothing for a whole match).
        private mutating func parseQuantifier(into atom: inout Atom) -> Bool {
            guard index < bytes.endIndex else { return true }
            switch bytes[index] {
            case UInt8(ascii: "*"): (atom.minimum, atom.maximum) = (0, Int.max)
            case UInt8(ascii: "+"): (atom.minimum, atom.maximum) = (1, Int.max)
            case UInt8(ascii: "?"): (atom.minimum, atom.maximum) = (0, 1)
            case UInt8(ascii: "{"):
                guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")) else { return false }
                let body = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
                let parts = body.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count <= 2, let minimum = Int(parts[0]), minimum <= 10_000 else { return false }
                var maximum = minimum
                if parts.count == 2 {
                    if parts[1].isEmpty {
                        maximum = Int.max
                    } else {
                        guard let value = Int(parts[1]), value >= minimum, value <= 10_000 else { return false }
                        maximum = value
                    }
                }
                (atom.minimum, atom.maximum) = (minimum, maximum)
                index = close
            default:
                return true
            }
            index += 1
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "?") { index += 1 }
            return true
        }

        /// Escapes that stand for one character.
        private static func literalEscape(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "t"): return 9
            case UInt8(ascii: "n"): return 10
            case UInt8(ascii: "r"): return 13
            case UInt8(ascii: "f"): return 12
            case UInt8(ascii: "v"): return 11
            default:
                // Escaped punctuation is itself; letters and digits are classes or unsupported.
                let isPunctuation =
                    (33...47).contains(byte) || (58...64).contains(byte) || (91...96).contains(byte)
                    || (123...126).contains(byte)
                return isPunctuation ? byte : nil
            }
        }

        /// Adds an escape to `atom`: a literal, or the ASCII classes `\d` and `\w` (ECMA-262).
        private static func applyEscape(_ byte: UInt8, to atom: inout Atom) -> Bool {
            if let literal = literalEscape(byte) {
                atom.insert(literal)
                return true
            }
            switch byte {
            case UInt8(ascii: "d"): atom.insert(UInt8(ascii: "0")...UInt8(ascii: "9"))
            case UInt8(ascii: "w"):
                atom.insert(UInt8(ascii: "0")...UInt8(ascii: "9"))
                atom.insert(UInt8(ascii: "a")...UInt8(ascii: "z"))
                atom.insert(UInt8(ascii: "A")...UInt8(ascii: "Z"))
                atom.insert(UInt8(ascii: "_"))
            default: return false
            }
            return true
        }
    }
}
