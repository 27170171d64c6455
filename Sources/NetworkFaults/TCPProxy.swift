import Foundation
import Synchronization

/// A TCP proxy on the loopback interface for fault tests: connect to `port` instead of the
/// real server, then make the path between them pass, delay or black-hole traffic, at run
/// time.
///
/// - `.pass`: bytes are forwarded both ways as they come.
/// - `.delay(d)`: every chunk is forwarded `d` after it arrived (latency, not loss).
/// - `.blackHole`: connections are accepted and kept, and bytes are read and held but
///   forwarded nowhere: the peers hang, as behind a silent network or a frozen server
///   (unlike a refused or reset connection, nothing tells them). Held bytes are forwarded
///   when the mode changes back, as TCP retransmissions would deliver them after a heal.
///
/// Either end closing closes the other (held bytes are dropped): a client that gives up on
/// a black-holed connection ends the server's session too, as the server's own keepalives
/// would in a real partition.
///
/// One thread runs every socket with `poll`, never the cooperative pool.
public final class TCPProxy: Sendable {
    public enum Mode: Sendable, Equatable {
        case pass
        case delay(Duration)
        case blackHole
    }

    fileprivate struct Control {
        var mode: Mode = .pass
        var stopped = false
        var dropAll = false
        var open = 0
        var accepted = 0
        var held = 0
    }

    /// What the caller and the proxy's thread share; the thread holds this, not the proxy,
    /// so dropping the proxy stops the thread.
    fileprivate final class Shared: Sendable {
        let control = Mutex(Control())
        let finished = Mutex(false)
    }

    /// The loopback port clients connect to.
    public let port: Int
    private let shared = Shared()

    /// Starts proxying `127.0.0.1:<port>` to `upstreamHost:upstreamPort` (an IPv4 loopback
    /// address or `localhost`).
    /// - Throws: `TCPProxyError` when the upstream is not on the loopback interface or no
    ///   port can be bound.
    public init(upstreamHost: String = "127.0.0.1", upstreamPort: Int) throws {
        let host = upstreamHost == "localhost" ? "127.0.0.1" : upstreamHost
        var upstream = sockaddr_in()
        upstream.sin_family = sa_family_t(AF_INET)
        upstream.sin_port = in_port_t(UInt16(clamping: upstreamPort)).bigEndian
        guard inet_pton(AF_INET, host, &upstream.sin_addr) == 1, host.hasPrefix("127.") else {
            throw TCPProxyError(description: "the proxy only forwards to an IPv4 loopback address, not \(upstreamHost)")
        }
        let (listener, port) = try Self.listenOnLoopback()
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        self.port = port
        let loop = TCPProxyLoop(listener: listener, upstream: upstream)
        let thread = Thread { [shared] in
            loop.run(shared: shared)
            shared.finished.withLock { $0 = true }
        }
        thread.name = "choreo.test.tcp-proxy"
        thread.start()
    }

    /// A listening socket on 127.0.0.1 at a port the system picked, and that port.
    static func listenOnLoopback() throws -> (socket: Int32, port: Int) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TCPProxyError(description: "socket() failed: errno \(errno)") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_port = 0
        local.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        guard bound == 0, named == 0, listen(listener, 64) == 0 else {
            close(listener)
            throw TCPProxyError(description: "cannot listen on the loopback interface: errno \(errno)")
        }
        return (listener, Int(UInt16(bigEndian: local.sin_port)))
    }

    /// A loopback port that was free a moment ago, for a child process to bind (another
    /// process may take it meanwhile; rare enough for tests).
    public static func freeLoopbackPort() throws -> Int {
        let (listener, port) = try listenOnLoopback()
        close(listener)
        return port
    }

    deinit { shared.control.withLock { $0.stopped = true } }

    /// What the proxy does with traffic from now on, on open connections too.
    public var mode: Mode {
        get { shared.control.withLock { $0.mode } }
        set { shared.control.withLock { $0.mode = newValue } }
    }

    /// Connections open through the proxy now.
    public var openConnections: Int { shared.control.withLock { $0.open } }

    /// Connections accepted so far.
    public var acceptedConnections: Int { shared.control.withLock { $0.accepted } }

    /// Bytes a black hole holds now (read from a peer, forwarded nowhere): a client's request
    /// has reached the hole once this is above zero.
    public var heldBytes: Int { shared.control.withLock { $0.held } }

    /// Closes every open connection on both sides (a reset); new ones are accepted.
    public func dropConnections() { shared.control.withLock { $0.dropAll = true } }

    /// Closes the listener and every connection; returns once the proxy's thread ended.
    public func stop() async {
        shared.control.withLock { $0.stopped = true }
        while !shared.finished.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// The loop on the proxy's thread; owns every descriptor.
    private final class TCPProxyLoop: @unchecked Sendable {
        // Safe: created before the thread starts and then used by that thread only.
        struct Chunk {
            var bytes: [UInt8]
            /// When it may be forwarded; nil while held by a black hole.
            var due: ContinuousClock.Instant?
        }

        final class Pair {
            let client: Int32
            let server: Int32
            var toServer: [Chunk] = []
            var toClient: [Chunk] = []
            init(client: Int32, server: Int32) {
                self.client = client
                self.server = server
            }
        }

        let listener: Int32
        let upstream: sockaddr_in
        var pairs: [Pair] = []
        var buffer = [UInt8](repeating: 0, count: 65536)

        init(listener: Int32, upstream: sockaddr_in) {
            self.listener = listener
            self.upstream = upstream
        }

        func run(shared: Shared) {
            var lastMode = Mode.pass
            while true {
                let (mode, stopped, dropAll) = shared.control.withLock { control -> (Mode, Bool, Bool) in
                    defer { control.dropAll = false }
                    return (control.mode, control.stopped, control.dropAll)
                }
                if stopped || dropAll {
                    for pair in pairs { closePair(pair) }
                    pairs = []
                    shared.control.withLock { $0.open = 0 }
                    if stopped {
                        close(listener)
                        return
                    }
                }
                if mode != lastMode {
                    release(held: mode)
                    lastMode = mode
                }
                let now = ContinuousClock.now
                var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
                for pair in pairs {
                    descriptors.append(pollfd(fd: pair.client, events: events(pair.toClient, now: now), revents: 0))
                    descriptors.append(pollfd(fd: pair.server, events: events(pair.toServer, now: now), revents: 0))
                }
                _ = poll(&descriptors, nfds_t(descriptors.count), 20)
                let polled = pairs
                if descriptors[0].revents & Int16(POLLIN) != 0 { accept(shared: shared) }
                var dead: Set<ObjectIdentifier> = []
                for (index, pair) in polled.enumerated() {
                    let client = descriptors[1 + index * 2].revents
                    let server = descriptors[2 + index * 2].revents
                    var alive = true
                    if client != 0 { alive = read(pair.client, into: &pair.toServer, mode: mode) && alive }
                    if server != 0 { alive = read(pair.server, into: &pair.toClient, mode: mode) && alive }
                    alive =
                        alive && write(pair.server, from: &pair.toServer) && write(pair.client, from: &pair.toClient)
                    if !alive { dead.insert(ObjectIdentifier(pair)) }
                }
                if !dead.isEmpty {
                    for pair in pairs where dead.contains(ObjectIdentifier(pair)) { closePair(pair) }
                    pairs.removeAll { dead.contains(ObjectIdentifier($0)) }
                }
                let open = pairs.count
                let held = pairs.reduce(0) { total, pair in
                    (pair.toServer + pair.toClient).reduce(total) { $0 + ($1.due == nil ? $1.bytes.count : 0) }
                }
                shared.control.withLock {
                    $0.open = open
                    $0.held = held
                }
            }
        }

        /// Readable always (to see data and the peer closing); writable when a chunk is due.
        private func events(_ queue: [Chunk], now: ContinuousClock.Instant) -> Int16 {
            var events = Int16(POLLIN)
            if let due = queue.first?.due, due <= now { events |= Int16(POLLOUT) }
            return events
        }

        private func due(_ mode: Mode) -> ContinuousClock.Instant? {
            switch mode {
            case .pass: return .now
            case .delay(let delay): return .now + delay
            case .blackHole: return nil
            }
        }

        /// Held chunks become due under the new mode.
        private func release(held mode: Mode) {
            let newDue = due(mode)
            guard newDue != nil else { return }
            for pair in pairs {
                for index in pair.toServer.indices where pair.toServer[index].due == nil {
                    pair.toServer[index].due = newDue
                }
                for index in pair.toClient.indices where pair.toClient[index].due == nil {
                    pair.toClient[index].due = newDue
                }
            }
        }

        private func accept(shared: Shared) {
            while true {
                let client = Glibc.accept(listener, nil, nil)
                guard client >= 0 else { return }
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = upstream
                let connected =
                    server >= 0
                    && withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    } == 0
                guard connected else {
                    close(client)
                    if server >= 0 { close(server) }
                    continue
                }
                _ = fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK)
                var one: Int32 = 1
                for descriptor in [client, server] {
                    _ = setsockopt(
                        descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                }
                pairs.append(Pair(client: client, server: server))
                let open = pairs.count
                shared.control.withLock {
                    $0.open = open
                    $0.accepted += 1
                }
            }
        }

        /// Reads what is there into `queue`; false when the peer closed or failed.
        private func read(_ descriptor: Int32, into queue: inout [Chunk], mode: Mode) -> Bool {
            while true {
                let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count > 0 {
                    queue.append(Chunk(bytes: Array(buffer[0..<count]), due: due(mode)))
                    continue
                }
                if count == 0 { return false }
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
            }
        }

        /// Writes the due chunks; false when the peer failed.
        private func write(_ descriptor: Int32, from queue: inout [Chunk]) -> Bool {
            let now = ContinuousClock.now
            while let first = queue.first, let due = first.due, due <= now {
                let sent = first.bytes.withUnsafeBytes {
                    send(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                }
                if sent < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
                if sent < first.bytes.count {
                    queue[0].bytes.removeFirst(sent)
                    return true
                }
                queue.removeFirst()
            }
            return true
        }

        private func closePair(_ pair: Pair) {
            close(pair.client)
            close(pair.server)
        }
    }
}

/// The proxy could not start.
public struct TCPProxyError: Error, CustomStringConvertible {
    public var description: String
}
