import Contracts
import Foundation

/// An independent OTLP/HTTP trace receiver for tests: `scripts/otlp-receiver.py`, which
/// decodes export requests with Python's `opentelemetry-proto` (`scripts/setup.sh` installs
/// it) and writes each span as a JSON line. Point a process at `endpoint` with
/// `CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT`.
public final class OTLPReceiver: Sendable {
    /// One received span.
    public struct ReceivedSpan: Sendable {
        public var service: String
        public var name: String
        /// `SPAN_KIND_PRODUCER`, `SPAN_KIND_CONSUMER`, `SPAN_KIND_INTERNAL`…
        public var kind: String
        public var traceID: String
        public var spanID: String
        /// Empty for a root span.
        public var parentSpanID: String
        public var attributes: JSONObject
        /// The (trace id, span id) of each link.
        public var links: [(traceID: String, spanID: String)]
        /// `STATUS_CODE_UNSET`, `STATUS_CODE_OK` or `STATUS_CODE_ERROR`.
        public var status: String

        public func attribute(_ name: String) -> String? {
            switch attributes[name] {
            case .string(let text)?: text
            case .number(let number)?: number.description
            case .bool(let flag)?: String(flag)
            default: nil
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `http://127.0.0.1:<port>`, the base URL exporters append `/v1/traces` to.
    public let endpoint: String
    private let process: Process
    private let output: URL
    private let directory: URL

    /// Starts the receiver and waits until it listens.
    public init() async throws {
        directory = FileManager.default.temporaryDirectory.appending(path: "choreo-otlp-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        output = directory.appending(path: "spans.jsonl")
        let portFile = directory.appending(path: "port")
        let script = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "scripts/otlp-receiver.py")
        process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["python3", script.path, output.path, portFile.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let process = process
        try await waitUntil(timeout: .seconds(30)) {
            guard process.isRunning else {
                throw Failure(
                    description:
                        "otlp-receiver.py exited \(process.terminationStatus) (is opentelemetry-proto installed? scripts/setup.sh)"
                )
            }
            return FileManager.default.fileExists(atPath: portFile.path)
        }
        let port = try String(contentsOf: portFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        endpoint = "http://127.0.0.1:\(port)"
    }

    /// Every span received so far, in arrival order.
    public func spans() throws -> [ReceivedSpan] {
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            let span = try JSONValue(parsing: String(line))
            return ReceivedSpan(
                service: span["service"]?.stringValue ?? "", name: span["name"]?.stringValue ?? "",
                kind: span["kind"]?.stringValue ?? "", traceID: span["trace_id"]?.stringValue ?? "",
                spanID: span["span_id"]?.stringValue ?? "", parentSpanID: span["parent_span_id"]?.stringValue ?? "",
                attributes: span["attributes"]?.objectValue ?? JSONObject(),
                links: (span["links"]?.arrayValue ?? []).map {
                    ($0["trace_id"]?.stringValue ?? "", $0["span_id"]?.stringValue ?? "")
                },
                status: span["status"]?.stringValue ?? "")
        }
    }

    /// Stops the receiver (SIGKILL: it has written every span it acknowledged) and removes its files.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
