import FunctionRuntime
import HTTPServer

/// One JSON line per request on standard error: method, path (query values with phone numbers,
/// emails or configured secrets masked), status, milliseconds, function(s) and exit status.
/// Never bodies, never header values.
public struct AccessLog: Sendable {
    public let redactor: Redactor
    public let write: @Sendable (String) -> Void

    public init(redactor: Redactor, write: @escaping @Sendable (String) -> Void = { StandardStreams.writeError($0) }) {
        self.redactor = redactor
        self.write = write
    }

    /// The line for one request (without the newline).
    public func line(
        method: String, target: String, status: Int, milliseconds: Double, function: String?, exit: Int32?,
        note: String? = nil
    ) -> String {
        var line: JSON = [
            "ts": .string(Clock.iso8601(Clock.now())),
            "method": .string(Self.isMethodToken(method) ? method : "-"),
            "path": .string(redactor.redact(target)),
            "status": .int(Int64(status)),
            "ms": .double((milliseconds * 100).rounded() / 100),
        ]
        line["function"] = function.map { .string($0) } ?? .null
        line["exit"] = exit.map { .int(Int64($0)) } ?? .null
        if let note { line["note"] = .string(redactor.redact(note)) }
        return line.serialized()
    }

    /// True for an HTTP method token worth logging as it is: 1–16 upper-case ASCII letters.
    /// Anything else (a body that overran its Content-Length and became the "next request") is
    /// logged as "-": it may hold a customer's data.
    public static func isMethodToken(_ method: String) -> Bool {
        !method.isEmpty && method.utf8.count <= 16
            && method.utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }

    /// A warning line of the invoker's own (`level` `warn`), redacted.
    public func warn(_ message: String) {
        let line: JSON = [
            "ts": .string(Clock.iso8601(Clock.now())), "level": "warn", "message": .string(redactor.redact(message)),
        ]
        write(line.serialized() + "\n")
    }

    public func record(
        method: String, target: String, status: Int, milliseconds: Double, function: String?, exit: Int32?,
        note: String? = nil
    ) {
        write(
            line(
                method: method, target: target, status: status, milliseconds: milliseconds, function: function,
                exit: exit, note: note) + "\n")
    }
}
