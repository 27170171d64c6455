import Testing

@testable import Contracts

/// `SimplePattern`: which patterns take the fast path, and that it agrees with
/// NSRegularExpression (ECMA-262 semantics) where both apply.
@Suite("Simple anchored patterns")
struct SimplePatternTests {
    static let patterns = [
        "^[A-Z0-9-]{3,32}$", "^[A-Z]{3}$", "^[a-z]+$", "^[a-z]*$", "^\\d{4}-\\d{2}-\\d{2}$", "^\\+?[0-9 ]{6,20}$",
        "^[^@]+@[^@]+$", "^\\w+$", "^a.c$", "^[a-fA-F0-9]{8}$", "^x?y+z*$", "^[-a]{2}$", "^[a\\-z]+$", "^[\\]\\\\]+$",
        "^ab{2,}c$", "^$", "^[a-z]{0,3}[0-9]{1,2}$", "^\\.\\*$", "^[\\d_]+$", "^[^\\d]+$",
    ]
    static let inputs = [
        "", "a", "abc", "ABC", "AB", "ABCD", "SKU-RED-42", "sku-red-42", "2026-11-23", "2026-1-23", "+49 170 1234567",
        "12345", "a@b", "a@@b", "@b", "under_score", "a c", "a\nc", "aXc", "deadBEEF", "deadbeeg", "xyyzz", "yz", "x",
        "-a", "a-", "aa", "z-a", "\\]", "abbc", "abc", "abbbbc", "ab", "abc12", "123", ".*", "_1_", "ümlaut", "日本",
        String(repeating: "A", count: 40),
    ]

    @Test("agrees with NSRegularExpression on every pattern × input")
    func agreesWithICU() throws {
        for pattern in Self.patterns {
            let simple = try #require(SimplePattern(pattern), "\(pattern) takes the fast path")
            for input in Self.inputs {
                let expected = try #require(CompiledPattern.icuMatches(pattern, input) as Bool?)
                #expect(simple.matches(input) == expected, "\(pattern) on \(input.debugDescription)")
            }
        }
    }

    @Test("ECMA-262 meanings where ICU differs")
    func ecmaSemantics() throws {
        #expect(try #require(SimplePattern("^\\d+$")).matches("٣") == false, "\\d is ASCII only")
        #expect(try #require(SimplePattern("^\\w+$")).matches("é") == false, "\\w is ASCII only")
        #expect(try #require(SimplePattern("^a$")).matches("a\n") == false, "$ only at the end of input")
        #expect(try #require(SimplePattern("^[a-z]+$")).matches("ab\u{2028}") == false, "$ only at the end of input")
        #expect(try #require(SimplePattern("^.$")).matches("\u{2028}") == false, ". excludes line terminators")
        #expect(try #require(SimplePattern("^[^a]$")).matches("\u{2028}") == true, "a negated class does not")
        #expect(try #require(SimplePattern("^.$")).matches("日") == true, "one code point")
    }

    @Test("other patterns fall back to NSRegularExpression")
    func fallbacks() {
        for pattern in [
            "[a-z]+", "^(ab)+$", "^a|b$", "^\\p{L}+$", "^\\s+$", "^[]$", "^[^]$", "^a{2,1}$", "^é$", "^\\bx$", "^a\\$",
            "^[[]$", "^a{x}$",
        ] {
            #expect(SimplePattern(pattern) == nil, "\(pattern)")
        }
    }

    @Test("no input makes it backtrack: long runs of overlapping atoms stay linear")
    func noCatastrophicBacktracking() throws {
        let pattern = try #require(SimplePattern("^a*a*a*a*a*a*a*a*b$"))
        #expect(pattern.matches(String(repeating: "a", count: 2_000)) == false)
        #expect(pattern.matches(String(repeating: "a", count: 2_000) + "b") == true)
    }
}
