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
        /// Index into `sets`, and the set's membership of ASCII as two bitmaps (code points 0–63, 64–127).
        case set(Int, low: UInt64, high: UInt64)
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
    /// The classes `Instruction.set` refers to.
    let sets: [CharacterSet]
    /// The pattern starts with `^`: attempts start only at position 0.
    private let anchored: Bool

    init(_ pattern: String) throws(Unsupported) {
        var parser = LinearPatternParser(Array(pattern.unicodeScalars))
        let node = try parser.parse()
        var compiler = LinearPatternCompiler()
        try compiler.emit(node)
        compiler.program.append(.match)
        program = compiler.program
        sets = compiler.sets
        if case .assertStart = program[0] { anchored = true } else { anchored = false }
    }

    /// Whether `string` contains a match.
    func matches(_ string: String) -> Bool {
        let size = program.count
        // Two thread lists (dense + sparse each) and the closure stack, on the stack when small.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 6 * size + 2) { buffer in
            buffer.initialize(repeating: 0)
            guard let base = buffer.baseAddress else { return false }
            var current = ThreadList(dense: base, sparse: base + size)
            var next = ThreadList(dense: base + 2 * size, sparse: base + 3 * size)
            let stack = base + 4 * size
            let scalars = string.unicodeScalars
            var index = scalars.startIndex
            var previous: Unicode.Scalar?
            while true {
                let scalar: Unicode.Scalar? = index == scalars.endIndex ? nil : scalars[index]
                // A new attempt starts at every position (the search), or only at 0 when anchored.
                if previous == nil || !anchored {
                    if add(0, between: previous, scalar, to: &current, stack: stack) { return true }
                }
                guard let scalar, current.count > 0 || !anchored else { return false }
                let after = scalars.index(after: index)
                let following: Unicode.Scalar? = after == scalars.endIndex ? nil : scalars[after]
                next.clear()
                for slot in 0..<current.count {
                    let pc = current.dense[slot]
                    let advances: Bool
                    switch program[pc] {
                    case .scalar(let expected): advances = expected == scalar
                    case .any: advances = !Self.isLineTerminator(scalar)
                    case .set(let set, let low, let high):
                        let value = scalar.value
                        if value < 64 {
                            advances = low & (1 << UInt64(value)) != 0
                        } else if value < 128 {
                            advances = high & (1 << UInt64(value - 64)) != 0
                        } else {
                            advances = sets[set].contains(scalar)
                        }
                    default: advances = false
                    }
                    if advances, add(pc + 1, between: scalar, following, to: &next, stack: stack) { return true }
                }
                swap(&current, &next)
                previous = scalar
                index = after
            }
        }
    }

    /// Adds the thread at `start` and everything reachable from it without consuming input,
    /// at the position between `before` and `after` (nil: the start or end of the input);
    /// true when that reaches `match`. `stack` holds at least 2 × program size + 1 entries.
    private func add(
        _ start: Int, between before: Unicode.Scalar?, _ after: Unicode.Scalar?, to list: inout ThreadList,
        stack: UnsafeMutablePointer<Int>
    ) -> Bool {
        stack[0] = start
        var depth = 1
        while depth > 0 {
            depth -= 1
            let pc = stack[depth]
            guard list.insert(pc) else { continue }
            switch program[pc] {
            case .match: return true
            case .jump(let target):
                stack[depth] = target
                depth += 1
            case .split(let first, let second):
                stack[depth] = second
                stack[depth + 1] = first
                depth += 2
            case .assertStart:
                if before == nil {
                    stack[depth] = pc + 1
                    depth += 1
                }
            case .assertEnd:
                if after == nil {
                    stack[depth] = pc + 1
                    depth += 1
                }
            case .wordBoundary(let expected):
                let wordBefore = before.map(Self.isWord) ?? false
                let wordAfter = after.map(Self.isWord) ?? false
                if (wordBefore != wordAfter) == expected {
                    stack[depth] = pc + 1
                    depth += 1
                }
            case .scalar, .any, .set: continue
            }
        }
        return false
    }

    /// A sparse set of program counters over caller-owned memory, cleared in O(1).
    private struct ThreadList {
        let dense: UnsafeMutablePointer<Int>
        let sparse: UnsafeMutablePointer<Int>
        private(set) var count = 0

        init(dense: UnsafeMutablePointer<Int>, sparse: UnsafeMutablePointer<Int>) {
            self.dense = dense
            self.sparse = sparse
        }

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
