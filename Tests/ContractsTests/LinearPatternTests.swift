import Foundation
import Testing

@testable import Contracts

/// `LinearPattern`: agrees with NSRegularExpression (ECMA-262 semantics) on patterns without
/// catastrophic backtracking, keeps ECMA meanings where ICU differs, refuses what it does not
/// support, and stays linear on inputs that make a backtracking engine explode.
@Suite("Linear-time patterns")
struct LinearPatternTests {
    static let patterns = [
        "^[A-Z0-9-]{3,32}$", "^[A-Z]{3}$", "^[a-z]+$", "^[a-z]*$", "^\\d{4}-\\d{2}-\\d{2}$", "^\\+?[0-9 ]{6,20}$",
        "^[^@]+@[^@]+$", "^\\w+$", "^a.c$", "^[a-fA-F0-9]{8}$", "^x?y+z*$", "^[-a]{2}$", "^[a\\-z]+$", "^[\\]\\\\]+$",
        "^ab{2,}c$", "^$", "^[a-z]{0,3}[0-9]{1,2}$", "^\\.\\*$", "^[\\d_]+$", "^[^\\d]+$",
        // Beyond the old fast path: unanchored, groups, alternation, lazy forms, boundaries.
        "[a-z]+", "^(ab)+$", "^a|b$", "^(?:a|bc)*d?$", "a+?b", "^\\p{L}+$", "^\\s+$", "\\bx", "x\\B", "^(a|ab)(c|bcd)$",
        "f.o", "^.*bar$", "^[A-Z]+[A-Z0-9]*$", "(?<word>\\w+)-\\d", "^\\u0041\\x42c$", "colou?r", "^[^a-c]{2,3}$",
    ]
    static let inputs = [
        "", "a", "abc", "ABC", "AB", "ABCD", "SKU-RED-42", "sku-red-42", "2026-11-23", "2026-1-23", "+49 170 1234567",
        "12345", "a@b", "a@@b", "@b", "under_score", "a c", "a\nc", "aXc", "deadBEEF", "deadbeeg", "xyyzz", "yz", "x",
        "-a", "a-", "aa", "z-a", "\\]", "abbc", "abc", "abbbbc", "ab", "abc12", "123", ".*", "_1_", "ümlaut", "日本",
        String(repeating: "A", count: 40), "abab", "ababd", "bcbcd", "aab", "foo", "fxo", "xbar", " \t",
        "x y", "xy", "ABc", "colour", "color", "word-7", "A1B2", "1AB", "abcd",
    ]

    @Test("agrees with NSRegularExpression on every pattern × input")
    func agreesWithICU() throws {
        for pattern in Self.patterns {
            let linear = try LinearPattern(pattern)
            for input in Self.inputs {
                guard let expected = ICUReference.matches(pattern, input) else {
                    Issue.record("\(pattern) does not compile in ICU")
                    continue
                }
                #expect(linear.matches(input) == expected, "\(pattern) on \(input.debugDescription)")
            }
        }
    }

    @Test("ECMA-262 meanings where ICU differs")
    func ecmaSemantics() throws {
        #expect(try LinearPattern("^\\d+$").matches("٣") == false, "\\d is ASCII only")
        #expect(try LinearPattern("^\\w+$").matches("é") == false, "\\w is ASCII only")
        #expect(try LinearPattern("^a$").matches("a\n") == false, "$ only at the end of input")
        #expect(try LinearPattern("^[a-z]+$").matches("ab\u{2028}") == false, "$ only at the end of input")
        #expect(try LinearPattern("^.$").matches("\u{2028}") == false, ". excludes line terminators")
        #expect(try LinearPattern("^[^a]$").matches("\u{2028}") == true, "a negated class does not")
        #expect(try LinearPattern("^.$").matches("日") == true, "one code point")
        #expect(try LinearPattern("^.$").matches("😀") == true, "one code point above the BMP")
        #expect(try LinearPattern("^[]$").matches("a") == false, "[] matches nothing")
        #expect(try LinearPattern("^[^]$").matches("\n") == true, "[^] matches anything")
        #expect(
            try LinearPattern("^a{2}$").matches("aa") && LinearPattern("^a{x}$").matches("a{x}"),
            "{ that is no quantifier")
        #expect(try LinearPattern("^\\p{Letter}+$").matches("héllo") && !LinearPattern("^\\p{L}$").matches("1"))
        #expect(try LinearPattern("^\\P{Lu}+$").matches("abc") && !LinearPattern("^\\P{Lu}+$").matches("aBc"))
    }

    @Test(
        "backreferences, lookaround and malformed patterns are refused with the reason",
        arguments: [
            ("^(a)\\1$", "backreferences"), ("(?=a)", "lookahead"), ("(?!a)b", "lookahead"), ("(?<=a)b", "lookbehind"),
            ("(?<!a)b", "lookbehind"), ("(?<n>a)\\k<n>", "named backreferences"), ("^a{2,1}$", "out of order"),
            ("a**", "nothing to repeat"), ("*a", "nothing to repeat"), ("(a", "unterminated group"),
            ("a)", "unmatched"),
            ("[a", "unterminated character class"), ("[z-a]", "out of order"), ("\\p{Greek}", "Unicode property"),
            ("\\q", "unknown escape"), ("(a{1000}){1000}", "too large"), ("a{5000}", "over 1000"),
        ])
    func refused(_ pattern: String, _ reason: String) {
        do {
            _ = try LinearPattern(pattern)
            Issue.record("\(pattern) compiled")
        } catch {
            #expect(error.reason.contains(reason), "\(pattern): \(error.reason)")
        }
    }

    @Test("a schema with a refused pattern does not compile and names the pattern")
    func schemaRefusesPattern() throws {
        do {
            _ = try JSONSchema(try JSONValue(parsing: #"{"properties":{"a":{"pattern":"^(x)\\1$"}}}"#))
            Issue.record("compiled")
        } catch let error as JSONSchemaError {
            #expect(error.schemaPath == "#/properties/a/pattern")
            #expect(error.message.contains("'^(x)\\1$' is refused: backreferences"))
        }
    }

    @Test("100,000 characters of attacker input against backtracking bombs complete with the right answer")
    func linearOnAttackerInput() throws {
        let attack = String(repeating: "a", count: 100_000) + "!"
        #expect(try LinearPattern("^(a+)+$").matches(attack) == false)
        #expect(try LinearPattern("^(a+)+$").matches(String(repeating: "a", count: 100_000)) == true)
        #expect(try LinearPattern("^(a|aa)*$").matches(attack) == false)
        let upper = String(repeating: "A", count: 100_000)
        #expect(try LinearPattern("^[A-Z]+[A-Z0-9]*$").matches(upper + "!") == false)
        #expect(try LinearPattern("^[A-Z]+[A-Z0-9]*$").matches(upper + "9") == true)
        #expect(try LinearPattern("^a*a*a*a*a*a*a*a*b$").matches(String(repeating: "a", count: 100_000)) == false)
    }
}

/// NSRegularExpression with ECMA-262 escapes translated to ICU's spelling (`\d`, `\w` are
/// ASCII in ECMA, Unicode in ICU): the reference the differential test compares against.
enum ICUReference {
    static func matches(_ pattern: String, _ string: String) -> Bool? {
        guard let regex = try? NSRegularExpression(pattern: translate(pattern)) else { return nil }
        return regex.firstMatch(in: string, range: NSRange(string.startIndex..<string.endIndex, in: string)) != nil
    }

    private static func translate(_ pattern: String) -> String {
        var out = ""
        var escaped = false
        var inClass = false
        for character in pattern {
            if escaped {
                escaped = false
                switch character {
                case "d": out += inClass ? "0-9" : "[0-9]"
                case "D": out += inClass ? "\\D" : "[^0-9]"
                case "w": out += inClass ? "a-zA-Z0-9_" : "[a-zA-Z0-9_]"
                case "W": out += inClass ? "\\W" : "[^a-zA-Z0-9_]"
                default: out += "\\" + String(character)
                }
                continue
            }
            switch character {
            case "\\": escaped = true
            case "[": inClass = true; out.append(character)
            case "]": inClass = false; out.append(character)
            default: out.append(character)
            }
        }
        if escaped { out += "\\\\" }
        return out
    }
}
