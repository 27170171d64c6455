import Operations
import Testing

/// Reading the Prometheus text exposition back (what `dev up`'s status panel does).
@Suite struct MetricsSamplesTests {
    static let exposition = #"""
        # TYPE choreo_orders_cancelled_total counter
        choreo_orders_cancelled_total{reason="insufficient-credit"} 3
        choreo_orders_cancelled_total{reason="odd \"quoted\", text"} 2
        choreo_orders_placed_total 10
        # TYPE choreo_orders_completion_latency_seconds histogram
        choreo_orders_completion_latency_seconds_bucket{outcome="confirmed",le="0.05"} 40
        choreo_orders_completion_latency_seconds_bucket{outcome="confirmed",le="0.1"} 90
        choreo_orders_completion_latency_seconds_bucket{outcome="confirmed",le="+Inf"} 100
        choreo_orders_completion_latency_seconds_bucket{outcome="cancelled",le="0.05"} 0
        choreo_orders_completion_latency_seconds_bucket{outcome="cancelled",le="0.1"} 0
        choreo_orders_completion_latency_seconds_bucket{outcome="cancelled",le="+Inf"} 0
        choreo_consumer_lag{group="g",topic="t",partition="0"} 4
        choreo_consumer_lag{group="g",topic="t",partition="1"} 5
        """#

    @Test func sumsLabelsAndEscapes() {
        let samples = MetricsSamples(parsing: Self.exposition)
        #expect(samples.sum("choreo_orders_cancelled_total") == 5)
        #expect(samples.sum("choreo_orders_cancelled_total", ["reason": #"odd "quoted", text"#]) == 2)
        #expect(samples.sum("choreo_orders_placed_total") == 10)
        #expect(samples.sum("choreo_consumer_lag", ["group": "g"]) == 9)
        #expect(samples.sum("choreo_missing_total") == 0)
        #expect(MetricsSamples(parsing: "not a sample\n# HELP x y\n").samples.isEmpty)
    }

    @Test func histogramQuantilesInterpolateInsideTheBucket() throws {
        let samples = MetricsSamples(parsing: Self.exposition)
        let name = "choreo_orders_completion_latency_seconds"
        // 50th of 100: the 10th of the 50 in (0.05, 0.1].
        #expect(abs(try #require(samples.quantile(0.5, ofHistogram: name)) - 0.06) < 1e-9)
        // In +Inf: the last finite bound.
        #expect(samples.quantile(0.99, ofHistogram: name) == 0.1)
        #expect(MetricsSamples().quantile(0.5, ofHistogram: name) == nil)
    }
}
