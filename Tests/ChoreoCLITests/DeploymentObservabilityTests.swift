import ChoreoTestSupport
import Contracts
import Foundation
import Testing
import Yams

/// docker-compose.yml's operations side: Prometheus scrapes every choreo container, the
/// Grafana dashboard queries only metrics choreo exports, traces go through a collector to Jaeger.
extension DeploymentStructureTests {
    /// The metric names docs/observability.md documents (its tables' first column).
    static func documentedMetrics() throws -> Set<String> {
        let text = try String(contentsOf: root.appending(path: "docs/observability.md"), encoding: .utf8)
        return Set(
            text.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `choreo_") else { return nil }
                return line.dropFirst(3).split(separator: "`").first.map(String.init)
            })
    }

    static func yaml(_ path: String) throws -> [String: Any] {
        let text = try String(contentsOf: root.appending(path: path), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any], "\(path) is not a mapping")
    }

    @Test("every long-running choreo container serves its operations endpoint and Prometheus scrapes each of them")
    func everyServiceIsScraped() throws {
        let compose = try Self.compose()
        let prometheus = try #require(compose.services["prometheus"], "no prometheus service")
        #expect(prometheus.volumes.contains { $0.hasPrefix("./scripts/docker/prometheus.yml:") })
        var scraped: [String: Set<String>] = [:]
        let config = try Self.yaml("scripts/docker/prometheus.yml")
        for job in config["scrape_configs"] as? [[String: Any]] ?? [] {
            for discovery in job["dns_sd_configs"] as? [[String: Any]] ?? [] {
                let port = "\(discovery["port"] ?? "")"
                for name in discovery["names"] as? [String] ?? [] { scraped[name, default: []].insert(port) }
            }
            for statics in job["static_configs"] as? [[String: Any]] ?? [] {
                for target in statics["targets"] as? [String] ?? [] {
                    let parts = target.split(separator: ":").map(String.init)
                    if parts.count == 2 { scraped[parts[0], default: []].insert(parts[1]) }
                }
            }
        }
        let longRunning = Self.choreoContainers(compose).filter { $0.command.first != "topics" }
        #expect(longRunning.count >= 7)
        for container in longRunning {
            let port = try #require(container.environment["CHOREO_OPS_PORT"], "\(container.name): no CHOREO_OPS_PORT")
            #expect(container.environment["CHOREO_OPS_HOST"] == "0.0.0.0", "\(container.name): reachable by Prometheus")
            #expect(scraped[container.name]?.contains(port) == true, "\(container.name):\(port) is not scraped")
        }
        #expect(
            Set(scraped.keys).isSubset(of: Set(longRunning.map(\.name))), "scrape targets name no choreo container")
    }

    @Test(
        "the Grafana dashboard shows lag, throughput, dead letters, outbox backlog and completion latency, from exported metrics only"
    )
    func dashboardUsesExportedMetrics() throws {
        let compose = try Self.compose()
        let grafana = try #require(compose.services["grafana"], "no grafana service")
        #expect(grafana.volumes.contains { $0.hasPrefix("./scripts/docker/grafana/dashboards:") })
        #expect(grafana.volumes.contains { $0.hasPrefix("./scripts/docker/grafana/provisioning:") })
        let datasources = try Self.yaml("scripts/docker/grafana/provisioning/datasources/prometheus.yml")
        let source = try #require((datasources["datasources"] as? [[String: Any]])?.first)
        #expect(source["url"] as? String == "http://prometheus:9090")
        let providers = try Self.yaml("scripts/docker/grafana/provisioning/dashboards/choreo.yml")
        let provider = try #require((providers["providers"] as? [[String: Any]])?.first)
        #expect((provider["options"] as? [String: Any])?["path"] as? String == "/var/lib/grafana/dashboards")

        let data = try Data(contentsOf: Self.root.appending(path: "scripts/docker/grafana/dashboards/choreo.json"))
        let dashboard = try JSONValue(parsing: Array(data))
        var used: Set<String> = []
        for panel in dashboard["panels"]?.arrayValue ?? [] {
            for target in panel["targets"]?.arrayValue ?? [] {
                let expr = try #require(target["expr"]?.stringValue, "a target without expr")
                for match in expr.matches(of: /choreo_[a-z_]+/) { used.insert(String(match.output)) }
            }
        }
        let documented = try Self.documentedMetrics()
        #expect(documented.count >= 25)
        for name in used.sorted() {
            let base = name.replacing(/_(bucket|sum|count)$/, with: "")
            #expect(documented.contains(base), "the dashboard queries \(name), which choreo does not export")
        }
        for required in [
            "choreo_consumer_lag", "choreo_consumer_applied_total", "choreo_consumer_dead_lettered_total",
            "choreo_relay_backlog_rows", "choreo_orders_completion_latency_seconds_bucket",
        ] {
            #expect(used.contains(required), "the dashboard has no panel on \(required)")
        }
    }

    @Test("traces: every long-running choreo container exports to an OpenTelemetry collector, which forwards to Jaeger")
    func collectorForwardsToJaeger() throws {
        let compose = try Self.compose()
        let collector = try #require(compose.services["otel-collector"], "no otel-collector service")
        #expect(collector.volumes.contains { $0.hasPrefix("./scripts/docker/otel-collector.yaml:") })
        #expect(compose.services["jaeger"]?.image?.hasPrefix("jaegertracing/") == true)
        let config = try Self.yaml("scripts/docker/otel-collector.yaml")
        let protocols = ((config["receivers"] as? [String: Any])?["otlp"] as? [String: Any])?["protocols"]
        #expect((protocols as? [String: Any])?["http"] != nil, "OTLP/HTTP receiver")
        let exporters = try #require(config["exporters"] as? [String: Any])
        let jaeger = try #require(exporters.first { $0.key.hasPrefix("otlp") }?.value as? [String: Any])
        #expect((jaeger["endpoint"] as? String)?.hasPrefix("jaeger:") == true)
        let pipeline = ((config["service"] as? [String: Any])?["pipelines"] as? [String: Any])?["traces"]
        let traces = try #require(pipeline as? [String: Any])
        #expect((traces["receivers"] as? [String])?.contains("otlp") == true)
        #expect((traces["exporters"] as? [String])?.contains { exporters[$0] != nil } == true)
        for container in Self.choreoContainers(compose).filter({ $0.command.first != "topics" }) {
            #expect(
                container.environment["CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318",
                "\(container.name) does not export its spans to the collector's OTLP/HTTP port")
        }
    }
}
