import FunctionRuntime

/// What a stage's log lines (the contract in README, "The log lines are the contract") say, as the
/// invoker reads them for `/metrics` and `/console`: the outcome of the last line that names one
/// and the upstream calls of every line. Only those members are decoded (`JSONScanner`).
public struct FunctionLog: Sendable, Equatable {
    public var outcome: String?
    public var calls: [UpstreamRecord] = []

    /// Reads the JSON lines of `log` (other lines are skipped).
    public init(_ log: [UInt8]) {
        for line in log.split(separator: 0x0A) where line.first == UInt8(ascii: "{") {
            guard let found = try? JSONScanner.scan(Array(line), paths: [["outcome"], ["upstream"]]) else { continue }
            if let outcome = found.values[0]?.string { self.outcome = Label.word(outcome) }
            for e in found.values[1]?.array ?? [] {
                guard let service = e["service"].string else { continue }
                calls.append(
                    UpstreamRecord(
                        service: Label.word(service), status: Int(e["status"].int ?? 0),
                        attempts: Int(e["attempts"].int ?? 1), milliseconds: Int(e["ms"].int ?? 0)))
            }
        }
    }
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
}

/// Label values the invoker takes from what functions write.
enum Label {
    /// A short lower-case word (`[a-z_]`, at most 32), else `other`: a label must stay bounded.
    static func word(_ text: String) -> String {
        let bytes = text.utf8
        return bytes.count <= 32 && !bytes.isEmpty && bytes.allSatisfy({ $0 == 0x5F || ($0 >= 0x61 && $0 <= 0x7A) })
            ? text : "other"
    }
}
