import Foundation
import Logging
import OTel
import ServiceLifecycle
import Synchronization
import Tracing

/// OTLP/HTTP export of spans with swift-otel, on when an endpoint is configured:
/// `CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT`, else the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (a base
/// URL; `/v1/traces` is appended) or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is).
///
/// Only traces are bootstrapped (`InstrumentationSystem`), with W3C trace-context propagation
/// and protobuf encoding; metrics stay with swift-metrics' Prometheus backend and logs with
/// our swift-log handler. The service name is `choreo-<service>` unless `OTEL_SERVICE_NAME`
/// is set; the other standard `OTEL_*` variables (sampler, batch processor, headers, timeout)
/// apply. Without an endpoint, or with `OTEL_SDK_DISABLED=true`, tracing stays the no-op
/// default and nothing is exported.
enum TracingBootstrap {
    /// The variables that turn export on, the first set winning.
    static let endpointVariables = [
        "CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT",
    ]

    private static let bootstrapped = Mutex(false)

    /// Whether `environment` configures export.
    static func isConfigured(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard environment["OTEL_SDK_DISABLED"]?.lowercased() != "true" else { return false }
        return endpointVariables.contains { environment[$0].map { !$0.isEmpty } ?? false }
    }

    /// Bootstraps tracing for the process of `service` (only the first call acts) and returns
    /// the exporter's service to run FIRST in the process's `ServiceGroup` — a group stops in
    /// reverse order, so it flushes the spans of everything else on graceful shutdown. Empty
    /// when tracing is off.
    static func services(
        service: String, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard isConfigured(environment) else { return [] }
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return [] }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "choreo-\(service)"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.propagators = [.traceContext]
        var tracingLogger = logger
        tracingLogger[metadataKey: "component"] = "tracing"
        configuration.diagnosticLogger = .custom(tracingLogger)
        configuration.diagnosticLogLevel = diagnosticLevel(of: logger.logLevel)
        // swift-otel reads the OTEL_* variables; ours stands in for the standard endpoint, and
        // OTEL_SDK_DISABLED=false must not switch on its metrics or logs.
        var variables = environment
        variables["OTEL_SDK_DISABLED"] = nil
        if let endpoint = environment["CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT"], !endpoint.isEmpty {
            variables["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
            variables["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = nil
        }
        let exporter = try OTel.bootstrap(configuration: configuration, environment: variables)
        logger.info(
            "tracing: exporting spans over OTLP/HTTP",
            metadata: ["service_name": "\(variables["OTEL_SERVICE_NAME"] ?? configuration.serviceName)"])
        return [.init(service: exporter)]
    }

    /// swift-otel's own log level: the process's (`CHOREO_LOG_LEVEL`) unless `OTEL_LOG_LEVEL` is set.
    private static func diagnosticLevel(of level: Logger.Level) -> OTel.Configuration.LogLevel {
        switch level {
        case .trace: .trace
        case .debug: .debug
        case .info, .notice: .info
        case .warning: .warning
        case .error, .critical: .error
        }
    }

    /// Runs `body` of a short-lived command with the exporter running beside it, then shuts
    /// the exporter down, which flushes every span `body` ended. Just `body` when tracing is off.
    static func flushing<Result>(
        service: String, logger: Logger, _ body: () async throws -> Result
    ) async throws -> Result {
        let services = try services(service: service, logger: logger)
        guard !services.isEmpty else { return try await body() }
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let outcome: Swift.Result<Result, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }
}
