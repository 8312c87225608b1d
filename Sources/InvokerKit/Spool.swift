import BundleCore
import FoundationEssentials
import FunctionRuntime
import HTTPServer
#if canImport(Glibc)
import Glibc
#endif

/// The journal of requests the invoker acknowledged before they were done (routes with
/// `"ack": "spooled"`): a sender that does not re-deliver (Twilio's inbound SMS) or gives up fast
/// (Zendesk's 10 s) gets its 200 once the request is on disk, and the invoker runs the function
/// until it succeeds, is refused for good (a dead letter), or the spool's maximum age passes.
///
/// The journal is one JSON object per line in `<dir>/journal.jsonl` (mode 0600: it holds
/// signatures and customers' messages), appended with `O_APPEND` and `fsync`ed before a request
/// is acknowledged and after it is done:
/// `add` (the request), `retry` (attempts, next time), `done`, `dead` (why, the function's
/// answer), `revive` (`invoker --spool --retry ID` puts a dead letter back). On start the
/// journal is replayed: every request added and not done or dead runs again; one that was done
/// never runs again. A lock file keeps a second invoker off the same spool.
public final class Spool: Sendable {
    /// One acknowledged request.
    public struct Item: Sendable {
        public var id: String
        /// When the invoker received it (Unix seconds).
        public var receivedAt: Double
        public var request: ServerRequest
        public var attempts = 0
        /// When it may run next (Unix seconds).
        public var nextAt: Double
        public var lastStatus: Int?
        public var lastExit: Int?
    }

    /// A request given up on: refused for good, or older than the maximum age.
    public struct DeadLetter: Sendable {
        public var item: Item
        public var reason: String
        /// The function's last answer (its body), for a person to read.
        public var answer: String
        public var at: Double
    }

    public let directory: String
    public var journalPath: String { directory + "/journal.jsonl" }
    /// The open journal and what it says, touched only under one lock.
    private struct Journal: Sendable {
        var fd: Int32 = -1
        var lockFD: Int32 = -1
        var state = SpoolState()
        /// Bytes of the journal already applied (later lines may be `revive`s from another process).
        var applied = 0
        var doneSinceCompaction = 0
    }
    private let journal: PlainMutex<Journal>

    /// Opens (creating) the spool in `directory` and replays its journal. Throws when the
    /// directory cannot be used or another invoker holds it.
    public init(directory: String) throws {
        self.directory = directory
        try Self.makeDirectory(directory)
        var j = Journal()
        j.lockFD = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        let lockFD = j.lockFD
        guard lockFD >= 0 else {
            throw RuntimeError(.configMissing, "cannot open \(directory)/lock: \(String(cString: strerror(errno)))")
        }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(lockFD)
            throw RuntimeError(.configMissing, "another invoker uses the spool in \(directory)")
        }
        j.fd = open(directory + "/journal.jsonl", O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard j.fd >= 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(lockFD)
            throw RuntimeError(.configMissing, "cannot open \(directory)/journal.jsonl: \(reason)")
        }
        let (lines, size) = JSONLines.read(directory + "/journal.jsonl")
        for line in lines { j.state.apply(line) }
        j.applied = size
        let now = Clock.now().timeIntervalSince1970
        // Everything pending is due now (a retry time from before the restart is not waited for).
        for id in j.state.pending.keys { j.state.pending[id]?.nextAt = now }
        journal = PlainMutex(j)
    }

    deinit { close() }

    /// Closes the journal and releases the lock (another invoker may open the spool).
    public func close() {
        journal.withLock { j in
            if j.fd >= 0 { Glibc.close(j.fd); j.fd = -1 }
            if j.lockFD >= 0 { Glibc.close(j.lockFD); j.lockFD = -1 }
        }
    }

    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw RuntimeError(.configMissing, "cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }

    // MARK: - Journal records

    static func record(_ item: Item) -> JSON {
        let r = item.request
        return [
            "op": "add", "id": .string(item.id), "received_at": .double(item.receivedAt), "method": .string(r.method),
            "target": .string(r.target), "version": .string(r.version),
            "headers": .array(r.headerList.map { [.string($0.0), .string($0.1)] }),
            "body": .string(Data(r.body).base64EncodedString()),
            "remote_address": .string(r.remoteAddress), "remote_port": .int(Int64(r.remotePort)),
        ]
    }

    static func item(from line: JSON) -> Item? {
        guard let id = line["id"].string, let method = line["method"].string, let target = line["target"].string,
            let received = line["received_at"].double,
            let body = line["body"].string.flatMap({ Data(base64Encoded: $0) })
        else { return nil }
        let headers = (line["headers"].array ?? []).compactMap { pair -> (String, String)? in
            guard let k = pair[0].string, let v = pair[1].string else { return nil }
            return (k, v)
        }
        let request = ServerRequest(
            method: method, target: target, version: line["version"].string ?? "HTTP/1.1", headerList: headers,
            body: Array(body), remoteAddress: line["remote_address"].string ?? "127.0.0.1",
            remotePort: Int(line["remote_port"].int ?? 0))
        return Item(id: id, receivedAt: received, request: request, nextAt: received)
    }

    /// Appends `line` to the journal (and applies it); `sync` waits until it is on disk.
    private func write(_ line: JSON, sync: Bool, then adjust: ((inout SpoolState) -> Void)? = nil) throws {
        let bytes = line.serializedBytes() + [0x0A]
        try journal.withLock { j in
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.write(j.fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue };
                    throw RuntimeError(.internal, "spool journal write failed: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
            if sync && fsync(j.fd) != 0 {
                throw RuntimeError(.internal, "spool journal fsync failed: \(String(cString: strerror(errno)))")
            }
            j.state.apply(line)
            adjust?(&j.state)
            j.applied += bytes.count
        }
    }

    // MARK: - Operations

    /// Journals `request` (on disk before this returns) and returns its item, due now.
    ///
    /// With `holdingFor`, the worker does not hand the request out for that many seconds (it is
    /// being run inline): held in the same step that adds it, so the worker can never take it in
    /// between and run it twice. The journal keeps it due at once, so a restart replays it.
    public func add(_ request: ServerRequest, holdingFor seconds: Double = 0) throws -> Item {
        let now = Clock.now().timeIntervalSince1970
        let item = Item(id: Self.newID(), receivedAt: now, request: request, nextAt: now)
        try write(Self.record(item), sync: true) { state in
            if seconds > 0 { state.pending[item.id]?.nextAt = now + seconds }
        }
        return item
    }

    /// The request is done: it never runs again.
    public func finish(_ id: String, status: Int, exit: Int32?) {
        try? write(
            ["op": "done", "id": .string(id), "status": .int(Int64(status)), "exit": JSON(exit.map(Int64.init))],
            sync: true)
        let compact: Bool = journal.withLock { j in
            j.doneSinceCompaction += 1
            return j.doneSinceCompaction >= 1000
        }
        if compact { self.compact() }
    }

    /// Another attempt is due at `nextAt`.
    public func reschedule(_ id: String, attempts: Int, nextAt: Double, status: Int, exit: Int32?) {
        try? write(
            [
                "op": "retry", "id": .string(id), "attempts": .int(Int64(attempts)), "next_at": .double(nextAt),
                "status": .int(Int64(status)), "exit": JSON(exit.map(Int64.init)),
            ], sync: false)
    }

    /// Gives up on the request: a dead letter with the function's answer.
    public func bury(_ id: String, reason: String, answer: String, status: Int, exit: Int32?) {
        try? write(
            [
                "op": "dead", "id": .string(id), "reason": .string(reason), "answer": .string(answer),
                "status": .int(Int64(status)), "exit": JSON(exit.map(Int64.init)),
                "at": .double(Clock.now().timeIntervalSince1970),
            ], sync: true)
    }

    /// Up to `limit` items due at `now`, oldest first, each marked not due for `leaseSeconds`
    /// so that a second call does not hand it out again while it runs.
    public func takeDue(now: Double, limit: Int, leaseSeconds: Double = 60) -> [Item] {
        journal.withLock { j in
            var due: [Item] = []
            for id in j.state.order where due.count < limit {
                guard var item = j.state.pending[id], item.nextAt <= now else { continue }
                due.append(item)
                item.nextAt = now + leaseSeconds
                j.state.pending[id] = item
            }
            j.state.prune()
            return due
        }
    }

    /// Holds a newly added item back (it is being run inline).
    public func hold(_ id: String, seconds: Double) {
        let until = Clock.now().timeIntervalSince1970 + seconds
        journal.withLock { $0.state.pending[id]?.nextAt = until }
    }

    public var pendingItems: [Item] { journal.withLock { $0.state.pendingItems } }
    public var deadLetters: [DeadLetter] { journal.withLock { $0.state.deadLetters } }

    /// Applies journal lines another process appended (`--spool --retry`).
    public func refresh() {
        let from = journal.withLock { $0.applied }
        let (lines, size) = JSONLines.read(journalPath, from: from)
        guard size > from else { return }
        journal.withLock { j in
            for line in lines where line["op"].string == "revive" { j.state.apply(line) }
            j.applied = size
        }
    }

    /// Rewrites the journal with only what is still pending or dead.
    func compact() {
        let journalPath = self.journalPath
        journal.withLock { j in
            var lines: [JSON] = []
            for id in j.state.order {
                if let item = j.state.pending[id] {
                    lines.append(Self.record(item))
                    if item.attempts > 0 {
                        lines.append([
                            "op": "retry", "id": .string(id), "attempts": .int(Int64(item.attempts)),
                            "next_at": .double(item.nextAt),
                        ])
                    }
                } else if let letter = j.state.dead[id] {
                    lines.append(Self.record(letter.item))
                    lines.append([
                        "op": "dead", "id": .string(id), "reason": .string(letter.reason),
                        "answer": .string(letter.answer), "at": .double(letter.at),
                    ])
                }
            }
            let tmp = journalPath + ".tmp"
            let out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard out >= 0 else { return }
            var bytes: [UInt8] = []
            for l in lines { bytes += l.serializedBytes() + [0x0A] }
            StandardStreams.write(bytes, to: out)
            guard fsync(out) == 0, rename(tmp, journalPath) == 0 else { Glibc.close(out); return }
            Glibc.close(j.fd)
            j.fd = out
            _ = lseek(j.fd, 0, SEEK_END)
            j.applied = bytes.count
            j.doneSinceCompaction = 0
            j.state.prune()
        }
    }

    // MARK: - Reading from another process

    /// Pending items and dead letters of the spool in `directory`, read without taking it over.
    public static func snapshot(directory: String) -> (pending: [Item], dead: [DeadLetter]) {
        var state = SpoolState()
        for line in JSONLines.read(directory + "/journal.jsonl").lines { state.apply(line) }
        return (state.pendingItems, state.deadLetters)
    }

    /// Puts the dead letter `id` of the spool in `directory` back in line (the running invoker
    /// picks it up within a second). Returns false when there is no such dead letter.
    public static func revive(directory: String, id: String) -> Bool {
        guard snapshot(directory: directory).dead.contains(where: { $0.item.id == id }) else { return false }
        JSONLines.append([["op": "revive", "id": .string(id)]], to: directory + "/journal.jsonl", permissions: 0o600)
        return true
    }

    static func newID() -> String {
        let t = Int64(Clock.now().timeIntervalSince1970 * 1000)
        return "sp\(t)-" + String(UInt64.random(in: 1 << 32..<1 << 40), radix: 16)
    }
}

/// What a journal says: the requests pending and the dead letters, in arrival order.
struct SpoolState: Sendable {
    var pending: [String: Spool.Item] = [:]
    var dead: [String: Spool.DeadLetter] = [:]
    var order: [String] = []

    var pendingItems: [Spool.Item] { order.compactMap { pending[$0] } }
    var deadLetters: [Spool.DeadLetter] { order.compactMap { dead[$0] } }

    /// Forgets the order of requests that are done.
    mutating func prune() { order.removeAll { pending[$0] == nil && dead[$0] == nil } }

    /// Applies one journal line.
    mutating func apply(_ line: JSON) {
        guard let id = line["id"].string else { return }
        switch line["op"].string {
        case "add":
            if let item = Spool.item(from: line), pending[id] == nil, dead[id] == nil {
                pending[id] = item; order.append(id)
            }
        case "retry":
            pending[id]?.attempts = Int(line["attempts"].int ?? 0)
            pending[id]?.nextAt = line["next_at"].double ?? 0
            pending[id]?.lastStatus = line["status"].int.map(Int.init)
            pending[id]?.lastExit = line["exit"].int.map(Int.init)
        case "done":
            pending[id] = nil
            dead[id] = nil
        case "dead":
            if let item = pending.removeValue(forKey: id) {
                dead[id] = Spool.DeadLetter(
                    item: item, reason: line["reason"].string ?? "", answer: line["answer"].string ?? "",
                    at: line["at"].double ?? 0)
            }
        case "revive":
            if var letter = dead.removeValue(forKey: id) {
                letter.item.nextAt = 0
                letter.item.attempts = 0
                pending[id] = letter.item
            }
        default: break
        }
    }
}
