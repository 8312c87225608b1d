import FoundationEssentials
import BundleCore
#if canImport(Glibc)
import Glibc
#endif

/// Limits that keep a slow or hostile client from pinning the server.
public struct ServerLimits: Sendable {
    /// Largest request head (request line + headers), bytes → 431.
    public var maxHeaderBytes = 16 * 1024
    /// Largest body, bytes → 413.
    public var maxBodyBytes = 1024 * 1024
    /// Seconds allowed to receive a whole request head, and between body reads → 408 / close.
    public var readTimeout = 10.0
    /// Seconds an idle keep-alive connection stays open.
    public var keepAliveTimeout = 5.0
    /// Concurrent connections; beyond it new ones get 503 and are closed.
    public var maxConnections = 256
    /// Paths that stay answerable when every connection is taken (health checks): a few extra
    /// connections are admitted beyond `maxConnections`, and serve only these paths (503 else).
    public var reservedPaths: Set<String> = []
    /// How many extra connections `reservedPaths` get.
    public var reservedConnections = 4
    /// Threads kept waiting in `accept` when idle: a thread that finishes a connection goes back to
    /// accepting unless this many already wait, so short connections do not each start a thread.
    public var idleThreads = 4
    /// Seconds a connection the server refused keeps reading, and discarding, what the client
    /// still sends after the answer, before it is closed (see `Connection.drain`).
    public var lingerSeconds = 2.0

    public init() {}
}

/// A small, strict HTTP/1.1 server on POSIX sockets: one thread per connection, keep-alive,
/// Content-Length and chunked request bodies, size and time limits, and
/// a graceful stop that finishes the requests in flight.
///
/// Threads take turns at `accept` (leader/followers): the thread that accepts a connection serves
/// it, first starting another thread to accept when none is left waiting, and afterwards goes
/// back to accepting unless `ServerLimits.idleThreads` already wait. A new connection thus costs
/// no thread start and no hand-off between threads, and at most that many threads sit idle.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (ServerRequest) -> ServerAction
    /// Told about each request the server answered itself without calling the handler
    /// (400, 408, 413, 431, 501): the status and the client's address.
    public typealias RejectionObserver = @Sendable (_ status: Int, _ remoteAddress: String) -> Void

    /// Set before `start` to see the requests refused by the server's own limits (e.g. to log them).
    public var onRejected: RejectionObserver? {
        get { rejectionObserver.value }
        set { rejectionObserver.value = newValue }
    }

    public let limits: ServerLimits
    private let handler: Handler
    private let rejectionObserver = Locked<RejectionObserver?>(nil)

    /// Everything the accept loop, the connection threads and `stop` share.
    private struct State {
        var listenFD: Int32 = -1
        var port = 0
        var openConnections = 0
        var inFlight = 0
        var stopping = false
        var connectionFDs: Set<Int32> = []
        /// Threads that serve connections or wait to accept one.
        var threads = 0
        /// Of those, the ones not serving a connection (waiting in, or about to call, `accept`).
        var idle = 0
        /// Threads between deciding to call `accept` and its return: the listening socket is
        /// closed only when none is left (its number could otherwise be reused under them).
        var inAccept = 0
    }
    private let state = PlainMutex(State())

    /// The port listened on (after `start`; the one picked when started with port 0).
    public var port: Int { state.withLock { $0.port } }

    public init(limits: ServerLimits = ServerLimits(), handler: @escaping Handler) {
        self.limits = limits
        self.handler = handler
    }

    /// Binds `host:port` (port 0 picks a free one; see `port`) and starts accepting on a thread.
    public func start(host: String = "127.0.0.1", port requested: Int) throws {
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RuntimeError(.internal, "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(requested).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) == 1 else {
            close(fd); throw RuntimeError(.usage, "not an IPv4 address: \(host)")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let e = String(cString: strerror(errno)); close(fd)
            throw RuntimeError(.usage, "cannot listen on \(host):\(requested): \(e)")
        }
        guard listen(fd, 128) == 0 else { close(fd); throw RuntimeError(.internal, "listen failed") }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        let boundPort = Int(UInt16(bigEndian: actual.sin_port))
        let started: Bool = state.withLock {
            $0.listenFD = fd; $0.port = boundPort
            $0.threads = 1; $0.idle = 1
            return Thread.detach { [self] in serveLoop(fd) }
        }
        if !started {
            state.withLock {
                $0.listenFD = -1; $0.threads = 0; $0.idle = 0
            }
            close(fd)
            throw RuntimeError(.internal, "no thread to accept connections on")
        }
    }

    /// Stops accepting and waits up to `deadline` seconds for requests in flight, then closes all
    /// connections. Returns true when everything in flight finished in time.
    @discardableResult
    public func stop(deadline: Double = 10) -> Bool {
        stopAccepting()
        return drain(deadline: deadline)
    }

    /// Closes the listening socket: from its return on, a new connection is refused.
    public func stopAccepting() {
        let fd: Int32 = state.withLock { s in
            s.stopping = true
            return s.listenFD
        }
        guard fd >= 0 else { return }
        // Shut down first: every `accept` on it, waiting or about to be called, returns at once;
        // close it once no thread is left inside one.
        shutdown(fd, Int32(SHUT_RDWR))
        let until = Clock.monotonicMS() + 1000
        while state.withLock({ $0.inAccept }) > 0 && Clock.monotonicMS() < until { Clock.sleep(0.001) }
        let closeIt: Bool = state.withLock { s in
            guard s.listenFD == fd else { return false }
            s.listenFD = -1
            return true
        }
        if closeIt { close(fd) }
    }

    /// Waits up to `deadline` seconds for the requests in flight, then closes every connection.
    /// Returns true when everything in flight finished in time.
    @discardableResult
    public func drain(deadline: Double) -> Bool {
        let until = Clock.monotonicMS() + deadline * 1000
        while state.withLock({ $0.inFlight }) > 0 && Clock.monotonicMS() < until { Clock.sleep(0.01) }
        let clean = state.withLock { $0.inFlight } == 0
        state.withLock { for fd in $0.connectionFDs { shutdown(fd, Int32(SHUT_RDWR)) } }
        return clean
    }

    /// Requests currently being handled.
    public var requestsInFlight: Int { state.withLock { $0.inFlight } }

    /// The server's threads: all of them, and those waiting to accept a connection.
    public var threadCounts: (total: Int, idle: Int) { state.withLock { ($0.threads, $0.idle) } }

    /// One server thread: accepts on `listenFD`, serves what it accepted, and goes back to
    /// accepting — or ends, when the server stops or enough threads already wait (see the type).
    private func serveLoop(_ listenFD: Int32) {
        while true {
            let go: Bool = state.withLock { s in
                if s.stopping { s.threads -= 1; s.idle -= 1; return false }
                s.inAccept += 1
                return true
            }
            guard go else { return }
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &len) }
            }
            let acceptErrno = errno
            // Leaving `accept`, and on a stop (or a socket that is gone) leaving the server.
            let ends: Bool = state.withLock { s in
                s.inAccept -= 1
                guard fd < 0, s.stopping || acceptErrno == EBADF || acceptErrno == EINVAL else { return false }
                s.threads -= 1; s.idle -= 1
                return true
            }
            if ends { return }
            if fd < 0 {
                if acceptErrno == EINTR { continue }
                // Out of descriptors or memory: wait a little instead of spinning on the error.
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(acceptErrno) { Clock.sleep(0.01) }
                continue
            }
            serve(accepted: fd, addr, listenFD)
            let leave: Bool = state.withLock { s in
                if s.stopping || s.idle >= limits.idleThreads { s.threads -= 1; return true }
                s.idle += 1
                return false
            }
            if leave { return }
        }
    }

    /// Serves one accepted connection on this thread (answering 503 beyond the connection limit),
    /// after starting another thread to accept when no other one waits; closes `fd`.
    private func serve(accepted fd: Int32, _ addr: sockaddr_in, _ listenFD: Int32) {
        var addr = addr
        // A client that stops reading cannot pin a thread in send() beyond the read timeout.
        var sendTimeout = timeval(
            tv_sec: Int(limits.readTimeout),
            tv_usec: Int((limits.readTimeout - Double(Int(limits.readTimeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        var ip = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &addr.sin_addr, &ip, socklen_t(INET_ADDRSTRLEN))
        let remote = String(cBuffer: ip)
        let remotePort = Int(UInt16(bigEndian: addr.sin_port))
        // Beyond maxConnections, a few more connections are let in for the reserved paths only
        // (health checks keep answering while slow clients hold every ordinary slot).
        let admitted: (ok: Bool, reservedOnly: Bool, newAcceptor: Bool) = state.withLock { s in
            s.idle -= 1
            let newAcceptor = s.idle == 0 && !s.stopping
            if newAcceptor { s.idle += 1; s.threads += 1 }
            let reserve = limits.reservedPaths.isEmpty ? 0 : limits.reservedConnections
            if s.openConnections >= limits.maxConnections + reserve || s.stopping {
                return (false, false, newAcceptor)
            }
            let reservedOnly = s.openConnections >= limits.maxConnections
            s.openConnections += 1
            s.connectionFDs.insert(fd)
            return (true, reservedOnly, newAcceptor)
        }
        // When no thread can be started, this one accepts again once it is done; meanwhile new
        // connections wait in the listen backlog.
        if admitted.newAcceptor && !Thread.detach({ [self] in serveLoop(listenFD) }) {
            state.withLock { s in
                s.idle -= 1; s.threads -= 1
            }
        }
        if !admitted.ok {
            let r = ServerResponse.json(
                503, ["error": ["code": "overloaded", "message": "too many connections"]],
                headers: [("Retry-After", "1")])
            Connection.write(fd, Connection.serialize(r, keepAlive: false, headOnly: false))
            Connection.drain(fd, seconds: limits.lingerSeconds)
            close(fd)
            return
        }
        let connection = Connection(
            fd: fd, remote: remote, remotePort: remotePort, limits: limits, onRejected: onRejected,
            reservedOnly: admitted.reservedOnly)
        connection.serve(
            shouldStop: { [self] in self.state.withLock { $0.stopping } },
            begin: { [self] in self.state.withLock { $0.inFlight += 1 } },
            end: { [self] in self.state.withLock { $0.inFlight -= 1 } },
            handler: handler)
        state.withLock { s in
            s.openConnections -= 1; s.connectionFDs.remove(fd)
        }
        close(fd)
    }
}
