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

    public init() {}
}

/// A small, strict HTTP/1.1 server on POSIX sockets: one thread per connection, keep-alive,
/// Content-Length bodies (chunked request bodies are refused with 411), size and time limits, and
/// a graceful stop that finishes the requests in flight.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (ServerRequest) -> ServerAction
    /// Told about each request the server answered itself without calling the handler
    /// (400, 408, 411, 413, 431): the status and the client's address.
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
        state.withLock {
            $0.listenFD = fd; $0.port = boundPort
        }
        Thread.detach { [self] in acceptLoop(fd) }
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
            defer { s.listenFD = -1 }
            return s.listenFD
        }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
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

    /// Accepts on `listenFD` (the loop's own copy: `stopAccepting` shuts it down to end the loop).
    private func acceptLoop(_ listenFD: Int32) {
        while true {
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &len) }
            }
            if fd < 0 {
                if errno == EINTR { continue }
                if state.withLock({ $0.stopping }) || errno == EBADF || errno == EINVAL { return }
                continue
            }
            // A client that stops reading cannot pin a thread in send() beyond the read timeout.
            var sendTimeout = timeval(
                tv_sec: Int(limits.readTimeout),
                tv_usec: Int((limits.readTimeout - Double(Int(limits.readTimeout))) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
            var ip = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &addr.sin_addr, &ip, socklen_t(INET_ADDRSTRLEN))
            let remote = String(decoding: ip.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let remotePort = Int(UInt16(bigEndian: addr.sin_port))
            // Beyond maxConnections, a few more connections are let in for the reserved paths only
            // (health checks keep answering while slow clients hold every ordinary slot).
            let admitted: (ok: Bool, reservedOnly: Bool) = state.withLock { s in
                let reserve = limits.reservedPaths.isEmpty ? 0 : limits.reservedConnections
                if s.openConnections >= limits.maxConnections + reserve || s.stopping { return (false, false) }
                let reservedOnly = s.openConnections >= limits.maxConnections
                s.openConnections += 1
                s.connectionFDs.insert(fd)
                return (true, reservedOnly)
            }
            if !admitted.ok {
                let r = ServerResponse.json(
                    503, ["error": ["code": "overloaded", "message": "too many connections"]],
                    headers: [("Retry-After", "1")])
                Connection.write(fd, Connection.serialize(r, keepAlive: false, headOnly: false))
                close(fd)
                continue
            }
            Thread.detach { [self] in
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
    }
}
