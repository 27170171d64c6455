/// One row of a result, fully read into memory.
public struct PostgresRow: Sendable {
    let columns: PostgresColumns
    let values: [String?]

    /// Decodes column `index` (0-based) as `T`. NULL decodes only into an optional.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column index: Int) throws -> T {
        guard values.indices.contains(index) else {
            throw PostgresError(
                code: .decoding, message: "column \(index) does not exist (the row has \(values.count))")
        }
        return try decodeValue(values[index], as: T.self, column: columns.names[index])
    }

    /// Decodes the column named `name` as `T`.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column name: String) throws -> T {
        guard let index = columns.index[name] else {
            throw PostgresError(code: .decoding, message: "no column named \(name)")
        }
        return try decodeValue(values[index], as: T.self, column: name)
    }

    /// The number of columns.
    public var count: Int { values.count }

    private func decodeValue<T: PostgresDecodable>(_ value: String?, as type: T.Type, column: String) throws -> T {
        guard let value else {
            guard let null = T.postgresNull else {
                throw PostgresError(code: .decoding, message: "column \(column) is NULL; decode it as an optional")
            }
            return null
        }
        do {
            return try T.decode(postgresText: value)
        } catch var error as PostgresError {
            error.message = "column \(column): \(error.message)"
            throw error
        }
    }
}

/// Column names of a result, shared by its rows.
final class PostgresColumns: Sendable {
    let names: [String]
    let index: [String: Int]

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }
}

/// The rows of a result, in order.
public struct PostgresRows: Sendable, RandomAccessCollection {
    public let rows: [PostgresRow]
    /// The column names.
    public let columnNames: [String]
    /// Rows affected by an INSERT/UPDATE/DELETE (0 for other statements).
    public let affectedRows: Int

    public var startIndex: Int { rows.startIndex }
    public var endIndex: Int { rows.endIndex }
    public subscript(position: Int) -> PostgresRow { rows[position] }

    /// The first row of a statement that always returns one (`SELECT EXISTS (…)`, an
    /// aggregate, `FROM (VALUES (1)) LEFT JOIN …`).
    /// - Throws: `PostgresError.decoding` naming `statement` when there is none.
    public func firstRow(of statement: String) throws -> PostgresRow {
        guard let row = rows.first else {
            throw PostgresError(code: .decoding, message: "\(statement) returned no row")
        }
        return row
    }
}
