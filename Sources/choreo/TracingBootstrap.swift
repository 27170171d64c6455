import Foundation
import Logging
import ServiceLifecycle

// TEMPORARY stub for the baseline build without swift-otel (replaced before commit).
enum TracingBootstrap {
    static func services(
        service: String, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] { [] }

    static func flushing<Result>(
        service: String, logger: Logger, _ body: () async throws -> Result
    ) async throws -> Result { try await body() }
}
