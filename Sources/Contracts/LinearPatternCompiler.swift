/// Compiles a `LinearPatternParser.Node` tree to a `LinearPattern` program, bounded in size.
struct LinearPatternCompiler {
    var program: [LinearPattern.Instruction] = []
    var sets: [LinearPattern.CharacterSet] = []

    mutating func emit(_ node: LinearPatternParser.Node) throws(LinearPattern.Unsupported) {
        guard program.count < LinearPattern.maxProgramSize else {
            throw LinearPattern.Unsupported(
                reason: "pattern too large once repetitions are expanded (over \(LinearPattern.maxProgramSize) steps)")
        }
        switch node {
        case .empty: break
        case .scalar(let scalar): program.append(.scalar(scalar))
        case .any: program.append(.any)
        case .set(let set):
            var low: UInt64 = 0
            var high: UInt64 = 0
            for value in UInt32(0)..<128 where set.contains(Unicode.Scalar(UInt8(value))) {
                if value < 64 { low |= 1 << UInt64(value) } else { high |= 1 << UInt64(value - 64) }
            }
            program.append(.set(sets.count, low: low, high: high))
            sets.append(set)
        case .start: program.append(.assertStart)
        case .end: program.append(.assertEnd)
        case .wordBoundary(let expected): program.append(.wordBoundary(expected))
        case .concatenation(let items): for item in items { try emit(item) }
        case .alternation(let branches):
            // split L1, next; L1: branch; jump end; next: split L2, … ; last branch.
            var jumps: [Int] = []
            for (offset, branch) in branches.enumerated() {
                if offset == branches.count - 1 {
                    try emit(branch)
                } else {
                    let split = program.count
                    program.append(.split(split + 1, 0))
                    try emit(branch)
                    jumps.append(program.count)
                    program.append(.jump(0))
                    program[split] = .split(split + 1, program.count)
                }
            }
            for jump in jumps { program[jump] = .jump(program.count) }
        case .repetition(let body, let minimum, let maximum):
            for _ in 0..<minimum { try emit(body) }
            if let maximum {
                // Nested optional copies, (x(x(x)?)?)?: every skip goes to the end, so a state
                // set holds one or two threads per repetition instead of one per copy.
                var splits: [Int] = []
                for _ in minimum..<maximum {
                    splits.append(program.count)
                    program.append(.split(program.count + 1, 0))
                    try emit(body)
                }
                for split in splits { program[split] = .split(split + 1, program.count) }
            } else {
                // loop: split body, out; body; jump loop.
                let loop = program.count
                program.append(.split(loop + 1, 0))
                try emit(body)
                program.append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }
}
