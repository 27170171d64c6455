/// One invariant of the reference system, checked: how many things were looked at and how
/// many broke it.
struct InvariantResult: Codable, Sendable {
    var name: String
    var passed: Bool { violations == 0 }
    var checked: Int
    var violations: Int
    /// What was checked, in words; with examples of violations when there are some.
    var detail: String

    enum CodingKeys: String, CodingKey { case name, passed, checked, violations, detail }

    init(name: String, checked: Int, violations: Int, detail: String) {
        self.name = name
        self.checked = checked
        self.violations = violations
        self.detail = detail
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        checked = try container.decode(Int.self, forKey: .checked)
        violations = try container.decode(Int.self, forKey: .violations)
        detail = try container.decode(String.self, forKey: .detail)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(passed, forKey: .passed)
        try container.encode(checked, forKey: .checked)
        try container.encode(violations, forKey: .violations)
        try container.encode(detail, forKey: .detail)
    }
}
