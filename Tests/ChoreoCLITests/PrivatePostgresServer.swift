import ChoreoTestSupport
import Foundation

/// A throwaway PostgreSQL server of this test's own (initdb in a temporary directory,
/// Unix socket only, no TCP port), for tests that create roles and databases: those are
/// cluster-wide, so they must never run on the shared server.
struct PrivatePostgresServer {
    let directory: URL
    let binaries: URL
    /// Run server programs as `postgres` when the tests run as root (PostgreSQL refuses root).
    let runAsPostgres: Bool

    var socketDirectory: String { directory.path }
    var data: String { directory.appending(path: "data").path }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts a server whose superuser is `superuser`/`password`, runs `body`, stops it.
    static func with<T>(
        superuser: String, password: String, _ body: (PrivatePostgresServer) async throws -> T
    ) async throws -> T {
        let server = try PrivatePostgresServer()
        defer { try? FileManager.default.removeItem(at: server.directory) }
        let passwordFile = server.directory.appending(path: "pw")
        try password.write(to: passwordFile, atomically: true, encoding: .utf8)
        if server.runAsPostgres {
            for path in [server.directory.path, passwordFile.path] {
                try FileManager.default.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: path)
            }
        }
        try await server.program(
            "initdb",
            [
                "-D", server.data, "-U", superuser, "--pwfile", passwordFile.path, "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
            ])
        try await server.program(
            "pg_ctl",
            [
                "-D", server.data, "-w", "-l", server.directory.appending(path: "log").path, "-o",
                "-c listen_addresses= -c unix_socket_directories=\(server.socketDirectory) -c fsync=off", "start",
            ])
        do {
            let result = try await body(server)
            try await server.program("pg_ctl", ["-D", server.data, "-w", "-m", "immediate", "stop"])
            return result
        } catch {
            _ = try? await server.program("pg_ctl", ["-D", server.data, "-w", "-m", "immediate", "stop"])
            throw error
        }
    }

    private init() throws {
        let candidates = ["16", "15", "17", "14"].map { URL(filePath: "/usr/lib/postgresql/\($0)/bin") }
        guard
            let binaries = candidates.first(where: {
                FileManager.default.isExecutableFile(atPath: $0.appending(path: "initdb").path)
            })
        else { throw Failure(description: "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql") }
        self.binaries = binaries
        runAsPostgres = getuid() == 0
        // Short: the socket path must fit in sun_path (107 bytes).
        directory = URL(filePath: "/tmp/choreo-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Runs a server program (`initdb`, `pg_ctl`) and throws with its output if it fails.
    ///
    /// Output goes to a file, not a pipe: the server that `pg_ctl start` leaves running
    /// would hold a pipe open and a reader would never see its end.
    private func program(_ name: String, _ arguments: [String]) async throws {
        let executable = binaries.appending(path: name)
        let command =
            (runAsPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + [executable.path] + arguments
        // Foundation learns that a child ended when a descriptor the child inherited is closed;
        // the server `pg_ctl start` leaves running would inherit it too and keep it open. So
        // the program runs in a subshell that first closes every descriptor above 2.
        let process = Process()
        process.executableURL = URL(filePath: "/bin/bash")
        process.arguments =
            [
                "-c",
                #"( for fd in /proc/$BASHPID/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; exec "$@" )"#,
                "bash",
            ] + command
        let output = directory.appending(path: "\(name).out")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            throw Failure(description: "cannot create \(output.path)")
        }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        guard status == 0 else {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            throw Failure(description: "\(name) exited \(status): \(text.suffix(600))")
        }
    }

    /// `psql` as `user` into `database`; returns the finished run (status 0 when it worked).
    func psql(user: String, password: String, database: String, _ arguments: [String]) async throws -> ProcessRun {
        try await ProcessRun.run(
            binaries.appending(path: "psql"),
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "host=\(socketDirectory) user=\(user) dbname=\(database)"]
                + arguments,
            environment: ["PGPASSWORD": password], timeout: .seconds(60))
    }
}
