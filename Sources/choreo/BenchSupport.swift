import Foundation
import Postgres

/// Renders benchmark figures as the one final JSON line every benchmark prints.
enum JSONLine {
    static func render(_ object: [String: Any]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var ms: Double { (seconds * 100_000).rounded() / 100 }
    var formattedSeconds: String { String(format: "%.2f s", seconds) }
}

extension Array where Element == Duration {
    /// The `q` quantile (0…1) by nearest rank; zero for an empty array.
    func percentile(_ q: Double) -> Duration {
        guard !isEmpty else { return .zero }
        let sorted = self.sorted()
        let rank = Swift.min(sorted.count - 1, Swift.max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }
}

/// A database created for one benchmark run and dropped after it.
struct BenchDatabase: Sendable {
    let name: String
    let adminURL: String
    let configuration: PostgresConfiguration

    static func create(adminURL: String, prefix: String) async throws -> BenchDatabase {
        let name = "\(prefix)_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        try await PostgresConnection.withConnection(configuration: try PostgresConfiguration(url: adminURL)) { admin in
            try await admin.simpleQuery("CREATE DATABASE \(name)")
        }
        var configuration = try PostgresConfiguration(url: adminURL)
        configuration.database = name
        return BenchDatabase(name: name, adminURL: adminURL, configuration: configuration)
    }

    func drop() async throws {
        try await PostgresConnection.withConnection(configuration: try PostgresConfiguration(url: adminURL)) { admin in
            try await admin.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }
}
