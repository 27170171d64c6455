import Contracts
import Foundation

/// A `/metrics` exposition parsed by an independent parser, Python `prometheus_client`
/// (`scripts/scrape-metrics.py`; `scripts/setup.sh` installs it).
public struct MetricsScrape: Sendable {
    public struct Sample: Sendable {
        public var labels: [String: String]
        public var value: Double
    }

    /// Sample name (with `_total`, `_bucket`, `_count`… as exposed) → its samples.
    public var samples: [String: [Sample]]

    /// Scrapes `http://127.0.0.1:<port>/metrics`.
    public static func scrape(port: Int) async throws -> MetricsScrape {
        let script = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "scripts/scrape-metrics.py")
        let run = try await ProcessRun.run(
            URL(filePath: "/usr/bin/env"), ["python3", script.path, "http://127.0.0.1:\(port)/metrics"])
        guard run.status == 0 else {
            throw MetricsScrapeError(
                description: "prometheus_client could not read /metrics: \(run.stderr.suffix(500))")
        }
        let parsed = try JSONValue(parsing: run.stdout)
        var samples: [String: [Sample]] = [:]
        for sample in parsed["samples"]?.arrayValue ?? [] {
            guard let name = sample["name"]?.stringValue, case .number(let value)? = sample["value"] else { continue }
            var labels: [String: String] = [:]
            for (key, label) in sample["labels"]?.objectValue?.members ?? [] { labels[key] = label.stringValue }
            samples[name, default: []].append(Sample(labels: labels, value: value.doubleValue))
        }
        return MetricsScrape(samples: samples)
    }

    /// The sum of `name`'s samples whose labels include `labels`; nil when none.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples[name]?.filter { sample in labels.allSatisfy { sample.labels[$0.key] == $0.value } }
        guard let matching, !matching.isEmpty else { return nil }
        return matching.reduce(0) { $0 + $1.value }
    }
}

public struct MetricsScrapeError: Error, CustomStringConvertible {
    public var description: String
}
