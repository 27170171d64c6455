import ArgumentParser
import Foundation

/// Failures that print a message to standard error and exit with a chosen code.
enum CLI {
    static func failure(_ code: Int32, _ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("choreo: \(message)\n".utf8))
        return ExitCode(code)
    }
}
