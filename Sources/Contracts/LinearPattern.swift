/// ECMA-262 regular expressions (the subset JSON Schema contracts use) matched in linear time:
/// the pattern is compiled to a Thompson NFA and simulated breadth-first (a Pike VM without
/// captures), so matching is O(pattern × input) whatever the input — no backtracking.
///
/// Supported: literals; escapes `\d \w \s \D \W \S \b \B \t \n \r \v \f \0 \xHH \uHHHH \u{H…} \cX`
/// and escaped syntax characters; `\p{…}`/`\P{…}` for general categories (`L`, `Letter`, `Lu`,
/// `Ll`, `N`, `Nd`, `P`, `S`, `Z`…); classes with ranges and negation; `.`; `^` and `$` (input
/// start and end); groups `(…)`, `(?:…)`, `(?<name>…)`; alternation; quantifiers `* + ? {n}
/// {n,} {n,m}` and their lazy forms. Refused with `LinearPattern.Unsupported`: backreferences,
/// lookahead and lookbehind, and patterns whose compiled program exceeds `maxProgramSize`.
/// Matching is a search (unanchored unless the pattern anchors), over Unicode scalars.
struct LinearPattern: Sendable {
    /// Why a pattern is refused.
    struct Unsupported: Error, Sendable, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// The largest compiled program accepted (instructions), so `{n,m}` cannot blow up memory.
    static let maxProgramSize = 20_000

    enum Instruction: Sendable {
        case scalar(Unicode.Scalar)
        case any
        case set(CharacterSet)
        case split(Int, Int)
        case jump(Int)
        case assertStart, assertEnd
        case wordBoundary(Bool)
        case match
    }

    /// A class: ranges and categories, possibly negated.
    struct CharacterSet: Sendable {
        var ranges: [ClosedRange<UInt32>] = []
        var predicates: [Predicate] = []
        var negated = false

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            let value = scalar.value
            var found = ranges.contains { $0.contains(value) }
            if !found { found = predicates.contains { $0.contains(scalar) } }
            return found != negated
        }
    }

    enum Predicate: Sendable {
        case digit(Bool), word(Bool), space(Bool)
        case category(Set<Unicode.GeneralCategory>, Bool)

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            switch self {
            case .digit(let positive): return LinearPattern.isDigit(scalar) == positive
            case .word(let positive): return LinearPattern.isWord(scalar) == positive
            case .space(let positive): return LinearPattern.isSpace(scalar) == positive
            case .category(let set, let positive): return set.contains(scalar.properties.generalCategory) == positive
            }
        }
    }

    let program: [Instruction]
    /// The pattern starts with `^`: attempts start only at position 0.
    private let anchored: Bool

    init(_ pattern: String) throws(Unsupported) {
        var parser = LinearPatternParser(Array(pattern.unicodeScalars))
        let node = try parser.parse()
        var compiler = LinearPatternCompiler()
        try compiler.emit(node)
        compiler.program.append(.match)
        program = compiler.program
        if case .assertStart = program[0] { anchored = true } else { anchored = false }
    }

    /// Whether `string` contains a match.
    func matches(_ string: String) -> Bool {
        let input = Array(string.unicodeScalars)
        var current = ThreadList(capacity: program.count)
        var next = ThreadList(capacity: program.count)
        var stack: [Int] = []
        for position in 0...input.count {
            // A new attempt starts at every position (the search), or only at 0 when anchored.
            if position == 0 || !anchored {
                if add(0, at: position, input, to: &current, stack: &stack) { return true }
            }
            guard position < input.count, current.count > 0 || !anchored else { break }
            let scalar = input[position]
            next.clear()
            for pc in current.items {
                let advances: Bool
                switch program[pc] {
                case .scalar(let expected): advances = expected == scalar
                case .any: advances = !Self.isLineTerminator(scalar)
                case .set(let set): advances = set.contains(scalar)
                default: advances = false
                }
                if advances, add(pc + 1, at: position + 1, input, to: &next, stack: &stack) { return true }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds the thread at `pc` and everything reachable from it without consuming input;
    /// true when that reaches `match`.
    private func add(
        _ start: Int, at position: Int, _ input: [Unicode.Scalar], to list: inout ThreadList, stack: inout [Int]
    ) -> Bool {
        stack.append(start)
        while let pc = stack.popLast() {
            guard list.insert(pc) else { continue }
            switch program[pc] {
            case .match: return true
            case .jump(let target): stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .assertStart: if position == 0 { stack.append(pc + 1) }
            case .assertEnd: if position == input.count { stack.append(pc + 1) }
            case .wordBoundary(let expected):
                let before = position > 0 && Self.isWord(input[position - 1])
                let after = position < input.count && Self.isWord(input[position])
                if (before != after) == expected { stack.append(pc + 1) }
            case .scalar, .any, .set: continue
            }
        }
        return false
    }

    /// A sparse set of program counters, cleared in O(1).
    private struct ThreadList {
        private var dense: [Int]
        private var sparse: [Int]
        private(set) var count = 0

        init(capacity: Int) {
            dense = [Int](repeating: 0, count: capacity)
            sparse = [Int](repeating: 0, count: capacity)
        }

        var items: ArraySlice<Int> { dense[0..<count] }

        mutating func insert(_ pc: Int) -> Bool {
            let slot = sparse[pc]
            if slot < count && dense[slot] == pc { return false }
            sparse[pc] = count
            dense[count] = pc
            count += 1
            return true
        }

        mutating func clear() { count = 0 }
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { (48...57).contains(scalar.value) }

    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (48...57).contains(value) || (65...90).contains(value) || (97...122).contains(value) || value == 95
    }

    /// ECMA-262 WhiteSpace and LineTerminator.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            return true
        default: return false
        }
    }

    static func isLineTerminator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x0D, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
