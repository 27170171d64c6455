import Foundation
import Synchronization

/// A one-line progress bar on standard error, shown only on a terminal and for more than
/// one item.
final class ProgressBar: Sendable {
    private let total: Int
    private let enabled: Bool

    init(total: Int) {
        self.total = total
        self.enabled = total > 1 && isatty(STDERR_FILENO) == 1
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let line =
            "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done)/\(total)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
