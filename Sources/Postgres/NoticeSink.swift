import CLibPQ
import Foundation
import Logging

/// Routes a connection's server notices (`NOTICE:  relation … already exists, skipping`,
/// warnings) to its logger instead of libpq's default, which prints them on stderr.
///
/// libpq calls the processor on the thread that runs the libpq call, i.e. on the
/// connection's queue; it only reads the immutable logger.
final class NoticeSink: Sendable {
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Installs the processor on `connection`. The caller keeps `self` alive as long as the
    /// `PGconn` (the processor holds an unretained pointer to it).
    func install(on connection: OpaquePointer) {
        PQsetNoticeProcessor(
            connection,
            { context, message in
                guard let context, let message else { return }
                let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
                let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
                // Notices can quote values (RAISE NOTICE): debug level, except warnings.
                let level: Logger.Level = text.hasPrefix("WARNING") ? .warning : .debug
                sink.logger.log(level: level, "postgres notice", metadata: ["notice": "\(text)"])
            },
            Unmanaged.passUnretained(self).toOpaque())
    }
}
