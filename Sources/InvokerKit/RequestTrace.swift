import FunctionRuntime

/// What answering one request gathered for its access-log line, `/metrics` and `/console`: the
/// function (or pipeline) that ran, its exit status, a note, and the upstream calls its stages'
/// log lines reported.
struct RequestTrace {
    var function: String?
    var exit: Int32?
    var note: String?
    var upstream: [UpstreamRecord] = []
}

/// One outbound call as a function's log line reports it (`upstream` entries of the log contract:
/// `service`, `status` — 0 when no answer came —, `attempts`, `ms`).
public struct UpstreamRecord: Sendable, Equatable {
    public var service: String
    public var status: Int
    public var attempts: Int
    public var milliseconds: Int

    public init(service: String, status: Int, attempts: Int, milliseconds: Int) {
        self.service = service
        self.status = status
        self.attempts = attempts
        self.milliseconds = milliseconds
    }

    /// `2xx` … `5xx`, or `none` when no answer came (a reset, a timeout).
    public var statusClass: String { status >= 100 && status < 600 ? "\(status / 100)xx" : "none" }

    /// The calls of every log line in `log` (JSON lines; other lines are skipped).
    public static func all(in log: [UInt8]) -> [UpstreamRecord] {
        var calls: [UpstreamRecord] = []
        for line in log.split(separator: 0x0A) where line.first == UInt8(ascii: "{") {
            // Only the `upstream` member is decoded (most lines of a filter have none or `[]`).
            guard let found = try? JSONScanner.scan(Array(line), paths: [["upstream"]]),
                let entries = found.values[0]?.array, !entries.isEmpty
            else { continue }
            for e in entries {
                guard let service = e["service"].string else { continue }
                calls.append(
                    UpstreamRecord(
                        service: Label.word(service), status: Int(e["status"].int ?? 0),
                        attempts: Int(e["attempts"].int ?? 1), milliseconds: Int(e["ms"].int ?? 0)))
            }
        }
        return calls
    }
}

/// Label values the invoker takes from what functions write.
enum Label {
    /// A short lower-case word (`[a-z_]`, at most 32), else `other`: a label must stay bounded.
    static func word(_ text: String) -> String {
        text.count <= 32 && !text.isEmpty && text.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) }) ? text : "other"
    }
}
