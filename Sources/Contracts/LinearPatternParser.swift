/// Parses the ECMA-262 subset `LinearPattern` supports into a tree; refuses the rest.
struct LinearPatternParser {
    indirect enum Node {
        case empty
        case scalar(Unicode.Scalar)
        case any
        case set(LinearPattern.CharacterSet)
        case start, end
        case wordBoundary(Bool)
        case concatenation([Node])
        case alternation([Node])
        case repetition(Node, min: Int, max: Int?)
    }

    typealias Unsupported = LinearPattern.Unsupported
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var depth = 0
    /// Group nesting bound, so the recursive descent cannot exhaust the stack.
    static let maxDepth = 200
    /// The largest count in `{n,m}`.
    static let maxCount = 1_000

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    mutating func parse() throws(Unsupported) -> Node {
        let node = try alternation()
        guard index == scalars.count else { throw Unsupported(reason: "unmatched ')'") }
        return node
    }

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func alternation() throws(Unsupported) -> Node {
        var branches = [try sequence()]
        while current == "|" {
            index += 1
            branches.append(try sequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func sequence() throws(Unsupported) -> Node {
        var items: [Node] = []
        while let scalar = current, scalar != "|", scalar != ")" {
            var atom = try self.atom()
            if let (minimum, maximum) = try quantifier() {
                atom = .repetition(atom, min: minimum, max: maximum)
                if current == "?" { index += 1 }  // lazy: the same language
                if let next = current, next == "*" || next == "+" || next == "?" {
                    throw Unsupported(reason: "nothing to repeat at '\(next)'")
                }
            }
            items.append(atom)
        }
        return items.count == 1 ? items[0] : (items.isEmpty ? .empty : .concatenation(items))
    }

    /// `* + ? {n} {n,} {n,m}` after an atom, or nil (a `{` that is no quantifier stays a literal).
    private mutating func quantifier() throws(Unsupported) -> (Int, Int?)? {
        switch current {
        case "*": index += 1; return (0, nil)
        case "+": index += 1; return (1, nil)
        case "?": index += 1; return (0, 1)
        case "{":
            let saved = index
            index += 1
            guard let minimum = try number() else {
                index = saved
                return nil
            }
            var maximum: Int? = minimum
            if current == "," {
                index += 1
                maximum = try number()
            }
            guard current == "}" else {
                index = saved
                return nil
            }
            index += 1
            if let maximum, maximum < minimum {
                throw Unsupported(reason: "numbers out of order in {\(minimum),\(maximum)}")
            }
            return (minimum, maximum)
        default: return nil
        }
    }

    private mutating func number() throws(Unsupported) -> Int? {
        var value = 0
        var digits = 0
        while let scalar = current, ("0"..."9").contains(scalar) {
            value = value * 10 + Int(scalar.value - 48)
            digits += 1
            index += 1
            guard value <= Self.maxCount else { throw Unsupported(reason: "repetition count over \(Self.maxCount)") }
        }
        return digits == 0 ? nil : value
    }

    private mutating func atom() throws(Unsupported) -> Node {
        guard let scalar = current else { return .empty }
        index += 1
        switch scalar {
        case "^": return .start
        case "$": return .end
        case ".": return .any
        case "*", "+", "?": throw Unsupported(reason: "nothing to repeat at '\(scalar)'")
        case "{":
            index -= 1
            if try quantifier() != nil { throw Unsupported(reason: "nothing to repeat at '{'") }
            index += 1
            return .scalar("{")
        case "(": return try group()
        case "[": return .set(try characterClass())
        case "\\": return try atomEscape()
        default: return .scalar(scalar)
        }
    }

    private mutating func group() throws(Unsupported) -> Node {
        if current == "?" {
            switch (peek(1), peek(2)) {
            case (":", _): index += 2
            case ("=", _), ("!", _): throw Unsupported(reason: "lookahead (?= (?! is not supported")
            case ("<", "="), ("<", "!"): throw Unsupported(reason: "lookbehind (?<= (?<! is not supported")
            case ("<", _):
                index += 2
                while let scalar = current, scalar != ">" { index += 1 }
                guard current == ">" else { throw Unsupported(reason: "unterminated group name") }
                index += 1
            default: throw Unsupported(reason: "unsupported group (?\(peek(1).map(String.init) ?? "")")
            }
        }
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Unsupported(reason: "groups nested deeper than \(Self.maxDepth)") }
        let inner = try alternation()
        guard current == ")" else { throw Unsupported(reason: "unterminated group") }
        index += 1
        return inner
    }

    private mutating func atomEscape() throws(Unsupported) -> Node {
        guard let scalar = current else { throw Unsupported(reason: "\\ at end of pattern") }
        switch scalar {
        case "b": index += 1; return .wordBoundary(true)
        case "B": index += 1; return .wordBoundary(false)
        case "1"..."9": throw Unsupported(reason: "backreferences (\\\(scalar)) are not supported")
        case "k" where peek(1) == "<": throw Unsupported(reason: "named backreferences (\\k<…>) are not supported")
        default:
            if let predicate = try classEscape() {
                return .set(LinearPattern.CharacterSet(predicates: [predicate]))
            }
            return .scalar(try characterEscape())
        }
    }

    /// `\d \w \s \D \W \S \p{…} \P{…}` (the backslash consumed), or nil when `current` is none.
    private mutating func classEscape() throws(Unsupported) -> LinearPattern.Predicate? {
        guard let scalar = current else { return nil }
        switch scalar {
        case "d", "D": index += 1; return .digit(scalar == "d")
        case "w", "W": index += 1; return .word(scalar == "w")
        case "s", "S": index += 1; return .space(scalar == "s")
        case "p", "P":
            index += 1
            guard current == "{" else { throw Unsupported(reason: "\\\(scalar) needs {Property}") }
            index += 1
            var name = ""
            while let next = current, next != "}" {
                name.unicodeScalars.append(next)
                index += 1
            }
            guard current == "}" else { throw Unsupported(reason: "unterminated \\\(scalar){") }
            index += 1
            guard let categories = Self.categories(name) else {
                throw Unsupported(reason: "unsupported Unicode property \\\(scalar){\(name.prefix(40))}")
            }
            return .category(categories, scalar == "p")
        default: return nil
        }
    }

    /// A single-character escape (the backslash consumed).
    private mutating func characterEscape() throws(Unsupported) -> Unicode.Scalar {
        guard let scalar = current else { throw Unsupported(reason: "\\ at end of pattern") }
        index += 1
        switch scalar {
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "v": return "\u{0B}"
        case "f": return "\u{0C}"
        case "0":
            if let next = current, ("0"..."9").contains(next) {
                throw Unsupported(reason: "octal escapes are not supported")
            }
            return "\0"
        case "c":
            guard let letter = current, ("a"..."z").contains(letter) || ("A"..."Z").contains(letter) else {
                throw Unsupported(reason: "\\c needs a letter")
            }
            index += 1
            return Unicode.Scalar(letter.value % 32) ?? "\0"
        case "x": return try hexScalar(digits: 2)
        case "u":
            if current == "{" {
                index += 1
                var value: UInt32 = 0
                var digits = 0
                while let next = current, let digit = Self.hexValue(next) {
                    value = value &* 16 &+ digit
                    digits += 1
                    index += 1
                    guard digits <= 6 else { throw Unsupported(reason: "\\u{…} out of range") }
                }
                guard digits > 0, current == "}", let result = Unicode.Scalar(value) else {
                    throw Unsupported(reason: "invalid \\u{…} escape")
                }
                index += 1
                return result
            }
            let high = try hexValue(digits: 4)
            if (0xD800...0xDBFF).contains(high), current == "\\", peek(1) == "u" {
                let saved = index
                index += 2
                if let low = try? hexValue(digits: 4), (0xDC00...0xDFFF).contains(low),
                    let combined = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                {
                    return combined
                }
                index = saved
            }
            guard let result = Unicode.Scalar(high) else { throw Unsupported(reason: "lone surrogate escape") }
            return result
        default:
            let isAlphanumeric =
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            guard !isAlphanumeric else { throw Unsupported(reason: "unknown escape \\\(scalar)") }
            return scalar  // identity escape: \. \* \/ \- …
        }
    }

    private mutating func hexScalar(digits: Int) throws(Unsupported) -> Unicode.Scalar {
        guard let scalar = Unicode.Scalar(try hexValue(digits: digits)) else {
            throw Unsupported(reason: "invalid hex escape")
        }
        return scalar
    }

    private mutating func hexValue(digits: Int) throws(Unsupported) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let scalar = current, let digit = Self.hexValue(scalar) else {
                throw Unsupported(reason: "invalid hex escape")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": return scalar.value - 48
        case "a"..."f": return scalar.value - 87
        case "A"..."F": return scalar.value - 55
        default: return nil
        }
    }

    /// `[…]` (the `[` consumed).
    private mutating func characterClass() throws(Unsupported) -> LinearPattern.CharacterSet {
        var set = LinearPattern.CharacterSet()
        if current == "^" {
            set.negated = true
            index += 1
        }
        while true {
            guard let scalar = current else { throw Unsupported(reason: "unterminated character class") }
            if scalar == "]" {
                index += 1
                return set
            }
            guard let low = try classAtom(into: &set) else { continue }
            if current == "-", let after = peek(1), after != "]" {
                index += 1
                guard let high = try classAtom(into: &set) else {
                    // `[a-\d]`: the '-' is a literal.
                    set.ranges.append(low.value...low.value)
                    set.ranges.append(45...45)
                    continue
                }
                guard low.value <= high.value else { throw Unsupported(reason: "range out of order in class") }
                set.ranges.append(low.value...high.value)
            } else {
                set.ranges.append(low.value...low.value)
            }
        }
    }

    /// One class member: a scalar (returned) or a predicate (added to `set`, nil returned).
    private mutating func classAtom(into set: inout LinearPattern.CharacterSet) throws(Unsupported) -> Unicode.Scalar? {
        guard let scalar = current else { throw Unsupported(reason: "unterminated character class") }
        index += 1
        guard scalar == "\\" else { return scalar }
        if current == "b" {
            index += 1
            return "\u{08}"
        }
        if current == "-" {
            index += 1
            return "-"
        }
        if let predicate = try classEscape() {
            set.predicates.append(predicate)
            return nil
        }
        if let next = current, ("1"..."9").contains(next) {
            throw Unsupported(reason: "backreferences (\\\(next)) are not supported")
        }
        return try characterEscape()
    }

    /// General categories for `\p{…}`.
    static func categories(_ name: String) -> Set<Unicode.GeneralCategory>? {
        var key = name
        for prefix in ["General_Category=", "gc="] where key.hasPrefix(prefix) { key.removeFirst(prefix.count) }
        let letters: Set<Unicode.GeneralCategory> = [
            .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        ]
        let numbers: Set<Unicode.GeneralCategory> = [.decimalNumber, .letterNumber, .otherNumber]
        let punctuation: Set<Unicode.GeneralCategory> = [
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation,
        ]
        let symbols: Set<Unicode.GeneralCategory> = [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]
        let separators: Set<Unicode.GeneralCategory> = [.spaceSeparator, .lineSeparator, .paragraphSeparator]
        let marks: Set<Unicode.GeneralCategory> = [.nonspacingMark, .spacingMark, .enclosingMark]
        let other: Set<Unicode.GeneralCategory> = [.control, .format, .surrogate, .privateUse, .unassigned]
        switch key {
        case "L", "Letter": return letters
        case "Lu", "Uppercase_Letter": return [.uppercaseLetter]
        case "Ll", "Lowercase_Letter": return [.lowercaseLetter]
        case "Lt", "Titlecase_Letter": return [.titlecaseLetter]
        case "Lm", "Modifier_Letter": return [.modifierLetter]
        case "Lo", "Other_Letter": return [.otherLetter]
        case "M", "Mark": return marks
        case "N", "Number": return numbers
        case "Nd", "Decimal_Number", "digit": return [.decimalNumber]
        case "P", "Punctuation", "punct": return punctuation
        case "S", "Symbol": return symbols
        case "Z", "Separator": return separators
        case "Zs", "Space_Separator": return [.spaceSeparator]
        case "C", "Other": return other
        case "Cc", "Control": return [.control]
        default: return nil
        }
    }
}
