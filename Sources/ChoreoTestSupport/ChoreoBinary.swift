import Foundation

/// Finds the `choreo` executable built with the tests, for tests that run the CLI.
public enum ChoreoBinary {
    public struct NotFound: Error, CustomStringConvertible {
        public var description: String
    }

    /// `CHOREO_BINARY` if set; otherwise `choreo` beside the running test bundle
    /// (`swift build --build-tests` builds it into the same directory).
    public static func url() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["CHOREO_BINARY"] {
            return URL(filePath: path)
        }
        var directory = URL(filePath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appending(path: "choreo")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw NotFound(
            description:
                "the choreo executable was not found beside \(CommandLine.arguments[0]); run `swift build --build-tests` or set CHOREO_BINARY"
        )
    }
}
