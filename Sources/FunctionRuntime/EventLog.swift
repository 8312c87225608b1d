import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// One outbound call as it appears in the event's log line.
public struct UpstreamCall: Sendable {
    public var service: String
    public var method: String
    public var path: String
    /// Final HTTP status, 0 when no response arrived.
    public var status: Int
    public var attempts: Int
    public var milliseconds: Int
    public var dryRun: Bool

    public var json: JSON {
        var o: JSON = ["service": .string(service), "method": .string(method), "path": .string(path),
                       "status": .int(Int64(status)), "attempts": .int(Int64(attempts)), "ms": .int(Int64(milliseconds))]
        if dryRun { o["dry_run"] = true }
        return o
    }
}

/// Writes the structured log: one JSON line per event on standard error, with phone numbers,
/// emails and secrets redacted.
public final class EventLog: @unchecked Sendable {
    public let function: String
    public let redactor: Redactor
    private var calls: [UpstreamCall] = []
    private var notes: [String] = []
    private var warned = false
    private var attention: [JSON] = []
    private let lock = Lock()

    /// Where "needs a person" entries are appended as JSON lines (`ATTENTION_LOG`); nil: only the log.
    public let attentionFile: String?

    public init(function: String, redactor: Redactor, attentionFile: String? = nil) {
        self.function = function
        self.redactor = redactor
        self.attentionFile = attentionFile
    }

    /// Records an outbound call for the current event's line.
    public func record(_ call: UpstreamCall) {
        lock.lock(); defer { lock.unlock() }
        var c = call
        c.path = redactor.redact(c.path)
        calls.append(c)
    }

    /// Adds a free-text note (redacted) to the current event's line, e.g. "running unsigned".
    public func note(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        notes.append(redactor.redact(text))
    }

    /// Adds a note and raises the line's `level` to `warn`.
    public func warn(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        notes.append(redactor.redact(text))
        warned = true
    }

    /// Records an outcome that no one can settle automatically: the line gets `level` `warn` and
    /// an `attention` entry `{kind, ticket_id?, detail, action}`, which the invoker counts and lists
    /// (`./invoke attention`) and which CGI/FaaS deployments can grep for.
    public func needsPerson(_ kind: String, ticketID: Int64?, detail: String, action: String) {
        lock.lock(); defer { lock.unlock() }
        var entry: JSON = ["kind": .string(kind), "detail": .string(redactor.redact(detail)), "action": .string(action)]
        if let ticketID { entry["ticket_id"] = .int(ticketID) }
        attention.append(entry)
        warned = true
    }

    /// The calls recorded since the last `finish`.
    public var upstreamCalls: [UpstreamCall] {
        lock.lock(); defer { lock.unlock() }
        return calls
    }

    /// Writes the line for one event and starts a new one.
    public func finish(outcome: String, durationMS: Double, mode: InputMode, extra: JSON = .null, error: RuntimeError? = nil) {
        lock.lock()
        let c = calls, n = notes, w = warned, a = attention
        calls = []; notes = []; warned = false; attention = []
        lock.unlock()
        let level = error.map { $0.code == .upstreamUnavailable ? "warn" : "error" } ?? (w ? "warn" : "info")
        var line: JSON = [
            "ts": .string(Clock.iso8601(Clock.now())),
            "level": .string(level),
            "function": .string(function),
            "outcome": .string(outcome),
            "mode": .string(mode.rawValue),
            "duration_ms": .double((durationMS * 100).rounded() / 100),
            "upstream": .array(c.map(\.json)),
        ]
        if !n.isEmpty { line["notes"] = .array(n.map { .string($0) }) }
        if !a.isEmpty { line["attention"] = .array(a) }
        if let error { line["error"] = ["code": .string(error.code.rawValue), "message": .string(redactor.redact(error.message))] }
        if case .object(let o) = extra { for (k, v) in o { line[k] = .string(redactor.redact(v.string ?? v.serialized())) } }
        var text = line.serialized()
        text += "\n"
        StandardStreams.writeError(text)
        if let attentionFile, !a.isEmpty {
            let ts = line["ts"]
            JSONLines.append(a.map { entry in entry.merging(["ts": ts, "function": .string(function)]) }, to: attentionFile)
        }
    }
}

/// Raw standard stream helpers (unbuffered, so a crash cannot lose a written line).
public enum StandardStreams {
    public static func write(_ bytes: [UInt8], to fd: Int32 = 1) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    public static func write(_ text: String) { write(Array(text.utf8), to: 1) }
    public static func writeError(_ text: String) { write(Array(text.utf8), to: 2) }

    /// Reads standard input to the end (or exactly `limit` bytes when given).
    public static func readAll(limit: Int? = nil) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while limit.map({ out.count < $0 }) ?? true {
            let want = min(buffer.count, (limit ?? Int.max) - out.count)
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, want) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }
}
