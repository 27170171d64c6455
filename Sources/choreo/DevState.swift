import Foundation

/// What `choreo dev up` / `choreo broker` started, recorded under the project root so
/// that later commands in another terminal find the embedded broker by themselves.
struct DevState: Codable, Sendable {
    var bootstrapServers: String
    var pid: Int32
    var startedAt: Date

    static func read(root: ProjectRoot) -> DevState? {
        guard let data = try? Data(contentsOf: root.stateFile),
            let state = try? JSONDecoder.iso8601.decode(DevState.self, from: data)
        else { return nil }
        // A state file left by a process that is gone is stale: ignore it.
        guard kill(state.pid, 0) == 0 else { return nil }
        return state
    }

    func write(root: ProjectRoot) throws {
        try FileManager.default.createDirectory(
            at: root.stateFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: root.stateFile, options: .atomic)
    }

    static func remove(root: ProjectRoot, ifOwnedBy pid: Int32) {
        guard let state = try? JSONDecoder.iso8601.decode(DevState.self, from: Data(contentsOf: root.stateFile)),
            state.pid == pid
        else { return }
        try? FileManager.default.removeItem(at: root.stateFile)
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
