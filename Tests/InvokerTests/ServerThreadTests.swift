import FoundationEssentials
import HTTPServer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The server's threads take turns at `accept`: a connection is served by the thread that
/// accepted it, idle threads are kept up to `ServerLimits.idleThreads`, and a stop ends them all.
@Suite struct ServerThreadTests {
    /// A server answering 200 with the kernel id of the thread that served the request.
    static func start(idleThreads: Int = 4) throws -> HTTPServer {
        var limits = ServerLimits()
        limits.idleThreads = idleThreads
        let server = HTTPServer(limits: limits) { _ in
            .respond(.json(200, ["thread": .int(Self.threadID())]))
        }
        try server.start(port: 0)
        return server
    }

    /// The kernel's id of the calling thread (from `/proc/thread-self` → `PID/task/TID`); unlike a
    /// `pthread_t`, not handed to the next thread when this one ends.
    static func threadID() -> Int64 {
        var link = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &link, link.count - 1)
        let text = String(decoding: link.prefix(max(0, n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Int64(text.split(separator: "/").last ?? "") ?? -1
    }

    @Test func shortConnectionsAreServedByTheThreadsThatWait() throws {
        let server = try Self.start(idleThreads: 4)
        defer { server.stop(deadline: 2) }
        var threads: Set<Int64> = []
        for _ in 0..<40 {
            let r = try send("GET", "/", port: server.port)
            #expect(r.status == 200)
            if let id = r.json["thread"].int { threads.insert(id) }
        }
        // One connection at a time: the thread that accepted it serves it, starts another to
        // accept only when none waits, and goes back to waiting — a few threads in all, not one
        // per connection (two may overlap, one finishing as the next is accepted, until about
        // four wait; none leaves while fewer than four wait).
        #expect(threads.count <= 10, "\(threads.count) threads served 40 connections")
        #expect(server.threadCounts.total <= 5)
    }

    @Test func openConnectionsEachHoldAThreadAndIdleOnesAreLetGo() throws {
        let server = try Self.start(idleThreads: 3)
        defer { server.stop(deadline: 2) }
        var connections: [TestConnection] = []
        var threads: Set<Int64> = []
        for _ in 0..<12 {
            let c = try TestConnection(port: server.port)
            c.request("GET", "/")
            let r = try c.readResponse()
            #expect(r.status == 200)
            if let id = r.json["thread"].int { threads.insert(id) }
            connections.append(c)  // kept open: its thread waits for its next request
        }
        #expect(threads.count == 12)
        let counts = server.threadCounts
        #expect(counts.total == 13 && counts.idle == 1, "\(counts)")
        connections.removeAll()  // closed: each thread sees the end, then waits or leaves
        #expect(eventually { server.threadCounts.total == 3 })
        #expect(server.threadCounts.idle == 3)
    }

    @Test func stopEndsEveryThreadRefusesConnectionsAndFreesThePort() throws {
        let server = try Self.start()
        let port = server.port
        let held = try TestConnection(port: port)
        held.request("GET", "/")
        #expect(try held.readResponse().status == 200)
        #expect(server.stop(deadline: 2))
        #expect(throws: TestClientError.self) { try TestConnection(port: port) }
        #expect(held.closedByPeer(within: 5))
        #expect(eventually { server.threadCounts == (0, 0) })
        let again = HTTPServer(limits: ServerLimits()) { _ in .respond(.json(200, [:])) }
        try again.start(port: port)
        defer { again.stop(deadline: 2) }
        #expect(try send("GET", "/", port: port).status == 200)
    }
}
