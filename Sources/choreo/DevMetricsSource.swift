import Foundation
import Operations

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where `dev up`'s status panel reads the system's metrics: this process's registry (the
/// services it runs in-process) and each child process's `GET /metrics` (services with
/// `--processes`, and the dead-letter worker).
struct DevMetricsSource: Sendable {
    /// The child processes' operations ports.
    var ports: [Int] = []

    /// Every source's samples together; a child that does not answer is left out.
    func read() async -> MetricsSamples {
        var samples = MetricsSamples(parsing: String(decoding: OperationsMetrics.exposition(), as: UTF8.self))
        for port in ports {
            guard let url = URL(string: "http://127.0.0.1:\(port)/metrics") else { continue }
            var request = URLRequest(url: url)
            request.timeoutInterval = 2
            guard let (data, response) = try? await URLSession.shared.data(for: request),
                (response as? HTTPURLResponse)?.statusCode == 200
            else { continue }
            samples = samples.merged(with: MetricsSamples(parsing: String(decoding: data, as: UTF8.self)))
        }
        return samples
    }
}
