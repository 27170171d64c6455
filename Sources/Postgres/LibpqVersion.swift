import CLibPQ

/// The libpq this build links.
public enum LibpqVersion {
    /// E.g. `15.18`.
    public static var string: String {
        let version = Int(PQlibVersion())
        return version >= 100_000
            ? "\(version / 10_000).\(version % 10_000)" : "\(version / 10_000).\(version / 100 % 100).\(version % 100)"
    }
}
