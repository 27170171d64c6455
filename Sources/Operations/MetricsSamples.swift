/// Samples read back from the Prometheus text exposition (`GET /metrics`, or
/// `OperationsMetrics.exposition()`), for a reader inside choreo such as `dev up`'s status
/// panel. Reads sample lines only (`name{label="value",…} number`); comments, types and
/// timestamps are skipped. Prometheus itself, and the tests, use their own parsers.
public struct MetricsSamples: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public var samples: [Sample]

    public init(samples: [Sample] = []) { self.samples = samples }

    /// Parses an exposition; a line that is not a sample is skipped.
    public init(parsing text: String) {
        samples = text.split(separator: "\n").compactMap { Self.sample(Substring($0)) }
    }

    /// Both readings' samples (several processes' expositions).
    public func merged(with other: MetricsSamples) -> MetricsSamples {
        MetricsSamples(samples: samples + other.samples)
    }

    /// The sum of `name`'s samples whose labels include `labels`; 0 when none.
    public func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        matching(name, labels).reduce(0) { $0 + $1.value }
    }

    /// `name`'s samples whose labels include `labels`.
    public func matching(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
    }

    /// The `q` quantile (0…1) of histogram `name` (its `_bucket` samples summed over every
    /// series), interpolated linearly inside the bucket as Prometheus' `histogram_quantile`
    /// does; nil without observations.
    public func quantile(_ q: Double, ofHistogram name: String) -> Double? {
        var cumulative: [Double: Double] = [:]
        for sample in matching(name + "_bucket") {
            guard let text = sample.labels["le"], let bound = text == "+Inf" ? .infinity : Double(text) else {
                continue
            }
            cumulative[bound, default: 0] += sample.value
        }
        let buckets = cumulative.sorted { $0.key < $1.key }
        guard let total = buckets.last?.value, total > 0 else { return nil }
        let rank = q * total
        var lower = (bound: 0.0, count: 0.0)
        for (bound, count) in buckets {
            if count >= rank {
                // The last finite bound when the rank falls in +Inf.
                guard bound.isFinite else { return lower.bound }
                let inBucket = count - lower.count
                return inBucket > 0 ? lower.bound + (bound - lower.bound) * (rank - lower.count) / inBucket : bound
            }
            lower = (bound, count)
        }
        return lower.bound
    }

    /// `name{a="x",b="y"} 12.5` (an optional timestamp after the value is ignored).
    static func sample(_ line: Substring) -> Sample? {
        guard let first = line.first, first != "#" else { return nil }
        var labels: [String: String] = [:]
        let name: Substring
        var rest: Substring
        if let brace = line.firstIndex(of: "{") {
            name = line[..<brace]
            var index = line.index(after: brace)
            while index < line.endIndex, line[index] != "}" {
                guard let equals = line[index...].firstIndex(of: "="),
                    line.index(after: equals) < line.endIndex, line[line.index(after: equals)] == "\""
                else { return nil }
                let key = line[index..<equals].trimmingPrefix(",")
                var value = ""
                var cursor = line.index(equals, offsetBy: 2)
                while cursor < line.endIndex, line[cursor] != "\"" {
                    if line[cursor] == "\\", line.index(after: cursor) < line.endIndex {
                        cursor = line.index(after: cursor)
                        value.append(line[cursor] == "n" ? "\n" : line[cursor])
                    } else {
                        value.append(line[cursor])
                    }
                    cursor = line.index(after: cursor)
                }
                guard cursor < line.endIndex else { return nil }
                labels[String(key)] = value
                index = line.index(after: cursor)
                if index < line.endIndex, line[index] == "," { index = line.index(after: index) }
            }
            guard index < line.endIndex else { return nil }
            rest = line[line.index(after: index)...]
        } else {
            guard let space = line.firstIndex(of: " ") else { return nil }
            name = line[..<space]
            rest = line[space...]
        }
        rest = rest.drop { $0 == " " }
        let number = rest.prefix { $0 != " " }
        let value: Double? =
            switch number {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(number)
            }
        guard let value, !name.isEmpty else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }
}
