import ArgumentParser
import Foundation

/// `--data JSON` or `--data @file`: the bytes of a JSON document.
enum DataArgument {
    /// The bytes `argument` names: the text itself, or the file after `@` (`@-` is stdin).
    static func bytes(_ argument: String) throws -> [UInt8] {
        guard argument.hasPrefix("@") else { return Array(argument.utf8) }
        let path = String(argument.dropFirst())
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read --data file '\(path)'")
        }
        return Array(data)
    }
}
