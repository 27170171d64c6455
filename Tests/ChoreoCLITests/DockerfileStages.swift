import Foundation

/// A Dockerfile read line by line (continuations joined, comments dropped), for structure tests.
struct DockerfileStages {
    struct Stage {
        var image: String
        var name: String?
        /// The stage's instructions after FROM: (keyword upper-cased, the rest).
        var instructions: [(keyword: String, arguments: String)]

        func arguments(of keyword: String) -> [String] {
            instructions.filter { $0.keyword == keyword }.map(\.arguments)
        }
    }

    var stages: [Stage]

    init(url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var logical: [String] = []
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty && (line.isEmpty || line.hasPrefix("#")) { continue }
            if line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
            } else {
                logical.append(pending + line)
                pending = ""
            }
        }
        var stages: [Stage] = []
        for line in logical {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            let keyword = parts[0].uppercased()
            let arguments = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            if keyword == "FROM" {
                let words = arguments.split(separator: " ").map(String.init).filter { !$0.hasPrefix("--") }
                let name = words.count >= 3 && words[1].uppercased() == "AS" ? words[2] : nil
                stages.append(Stage(image: words.first ?? "", name: name, instructions: []))
            } else if !stages.isEmpty {
                stages[stages.count - 1].instructions.append((keyword, arguments))
            } else {
                throw ComposeFile.Malformed(description: "Dockerfile: \(keyword) before the first FROM")
            }
        }
        self.stages = stages
    }

    /// A `COPY`'s options (`--from=build`), sources and destination.
    static func copy(_ arguments: String) -> (options: [String: String], sources: [String], destination: String) {
        var words = arguments.split(separator: " ").map(String.init)
        var options: [String: String] = [:]
        while let first = words.first, first.hasPrefix("--") {
            let pair = first.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)
            options[pair[0]] = pair.count > 1 ? pair[1] : ""
            words.removeFirst()
        }
        let destination = words.popLast() ?? ""
        return (options, words, destination)
    }
}
