/// One schema change: an id and its SQL. A `Migrator` applies its migrations in the order
/// it lists them (`Migrator(directory:)` lists files by name).
public struct Migration: Sendable, Hashable {
    public var id: String
    public var sql: String

    public init(id: String, sql: String) {
        self.id = id
        self.sql = sql
    }

    /// A stable checksum of the SQL (FNV-1a 64, hex), recorded when applied.
    var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
