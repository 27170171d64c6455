/// Money in the contracts: v1 events carry amounts in the major unit (euros, at most two
/// decimals, as JSON numbers); services compute in integer minor units (cents).
public enum MinorUnits {
    /// Cents of a major-unit amount, rounded to the nearest cent.
    public static func fromMajor(_ amount: Double) -> Int64 {
        Int64((amount * 100).rounded())
    }

    /// The major-unit amount of `minor` cents.
    public static func toMajor(_ minor: Int64) -> Double {
        Double(minor) / 100
    }
}
