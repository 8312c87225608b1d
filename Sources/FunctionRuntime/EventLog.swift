import BundleCore
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
        var o: JSON = [
            "service": .string(service), "method": .string(method), "path": .string(path),
            "status": .int(Int64(status)), "attempts": .int(Int64(attempts)), "ms": .int(Int64(milliseconds)),
        ]
        if dryRun { o["dry_run"] = true }
        return o
    }
}

/// Writes the structured log: one JSON line per event on standard error, with phone numbers,
/// emails and secrets redacted.
public final class EventLog: Sendable {
    public let function: String
    public let redactor: Redactor
    /// What the current event's line has gathered so far.
    private struct Pending: Sendable {
        var calls: [UpstreamCall] = []
        var notes: [String] = []
        var warned = false
        var attention: [JSON] = []
    }
    private let pending = PlainMutex(Pending())

    /// What a summarizing log has counted instead of writing (see `summarizesPlainLines`).
    private struct Tally: Sendable {
        var events = 0
        var outcomes: [String: Int] = [:]
        var written = 0
        var upstreamCalls = 0
    }
    private let tally = PlainMutex(Tally())
    /// In `--stream` (unless `--log-each`): a line that is plain `info` — no warning, no error, no
    /// attention entry — is counted rather than written; `writeSummary` writes the counts. Lines
    /// that need to be seen are always written.
    public let summarizesPlainLines: Bool

    /// Where "needs a person" entries are appended as JSON lines (`ATTENTION_LOG`); nil: only the log.
    public let attentionFile: String?

    public init(function: String, redactor: Redactor, attentionFile: String? = nil, summarizesPlainLines: Bool = false)
    {
        self.function = function
        self.redactor = redactor
        self.attentionFile = attentionFile
        self.summarizesPlainLines = summarizesPlainLines
    }

    /// Writes one line with the counts of a stream: events, outcomes, lines written, upstream calls.
    public func writeSummary(durationMS: Double) {
        let t = tally.withLock { $0 }
        var outcomes: [String: JSON] = [:]
        for (k, v) in t.outcomes { outcomes[k] = .int(Int64(v)) }
        let line: JSON = [
            "ts": .string(Clock.iso8601(Clock.now())), "level": "info", "function": .string(function),
            "mode": "stream", "outcome": "summary", "events": .int(Int64(t.events)), "outcomes": .object(outcomes),
            "lines_written": .int(Int64(t.written)), "upstream_calls": .int(Int64(t.upstreamCalls)),
            "duration_ms": .double((durationMS * 100).rounded() / 100),
        ]
        StandardStreams.writeError(line.serialized() + "\n")
    }

    /// Records an outbound call for the current event's line.
    /// The path is redacted when the line is written (a counted stream line costs no redaction).
    public func record(_ call: UpstreamCall) {
        pending.withLock { $0.calls.append(call) }
    }

    /// Adds a free-text note (redacted) to the current event's line, e.g. "running unsigned".
    public func note(_ text: String) {
        let line = redactor.redact(text)
        pending.withLock { $0.notes.append(line) }
    }

    /// Adds a note and raises the line's `level` to `warn`.
    public func warn(_ text: String) {
        let line = redactor.redact(text)
        pending.withLock {
            $0.notes.append(line); $0.warned = true
        }
    }

    /// Records an outcome that no one can settle automatically: the line gets `level` `warn` and
    /// an `attention` entry `{kind, ticket_id?, detail, action}`, which the invoker counts and lists
    /// (`./invoke attention`) and which CGI/FaaS deployments can grep for.
    public func needsPerson(_ kind: String, ticketID: Int64?, detail: String, action: String) {
        var entry: JSON = [
            "kind": .string(kind), "detail": .string(redactor.redact(detail)), "action": .string(action),
        ]
        if let ticketID { entry["ticket_id"] = .int(ticketID) }
        pending.withLock { [entry] in
            $0.attention.append(entry); $0.warned = true
        }
    }

    /// The calls recorded since the last `finish`, paths redacted as in the log.
    public var upstreamCalls: [UpstreamCall] { pending.withLock { $0.calls }.map(redacted) }

    /// A call as the log shows it: its path redacted.
    private func redacted(_ call: UpstreamCall) -> UpstreamCall {
        var c = call
        c.path = redactor.redact(call.path)
        return c
    }

    /// Writes the line for one event and starts a new one.
    public func finish(
        outcome: String, durationMS: Double, mode: InputMode, extra: JSON = .null, error: RuntimeError? = nil
    ) {
        let taken = pending.withLock { state -> Pending in
            defer { state = Pending() }
            return state
        }
        let c = taken.calls, n = taken.notes, w = taken.warned, a = taken.attention
        let level = error.map { $0.code == .upstreamUnavailable ? "warn" : "error" } ?? (w ? "warn" : "info")
        let counted = summarizesPlainLines && level == "info" && a.isEmpty
        tally.withLock { t in
            t.events += 1
            t.outcomes[outcome, default: 0] += 1
            t.upstreamCalls += c.count
            if !counted { t.written += 1 }
        }
        // Nothing to see in it: counted only, so redaction and serialization cost nothing.
        if counted { return }
        var line: JSON = [
            "ts": .string(Clock.iso8601(Clock.now())),
            "level": .string(level),
            "function": .string(function),
            "outcome": .string(outcome),
            "mode": .string(mode.rawValue),
            "duration_ms": .double((durationMS * 100).rounded() / 100),
            "upstream": .array(c.map { redacted($0).json }),
        ]
        if !n.isEmpty { line["notes"] = .array(n.map { .string($0) }) }
        if !a.isEmpty { line["attention"] = .array(a) }
        if let error {
            line["error"] = ["code": .string(error.code.rawValue), "message": .string(redactor.redact(error.message))]
        }
        if case .object(let o) = extra {
            for (k, v) in o { line[k] = .string(redactor.redact(v.string ?? v.serialized())) }
        }
        var text = line.serialized()
        text += "\n"
        StandardStreams.writeError(text)
        if let attentionFile, !a.isEmpty {
            let ts = line["ts"]
            JSONLines.append(
                a.map { entry in entry.merging(["ts": ts, "function": .string(function)]) }, to: attentionFile)
        }
    }
}
