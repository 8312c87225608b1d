import FunctionRuntime

/// The one error type of the invoker: what went wrong and the exit status the `invoker` process
/// ends with.
public struct InvokerError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// Wrong command-line usage. Exit 64 (EX_USAGE).
        case usage
        /// functions.json is unreadable, malformed or names something that does not exist. Exit 78 (EX_CONFIG).
        case config
        /// The server could not start (address in use, …). Exit 71 (EX_OSERR).
        case server

        /// The process exit status (sysexits.h).
        public var exitStatus: Int32 {
            switch self {
            case .usage: return 64
            case .config: return 78
            case .server: return 71
            }
        }
    }

    public let code: Code
    /// Every problem found, one per line (a config file is checked as a whole, not to the first error).
    public let problems: [String]

    public init(_ code: Code, _ problems: [String]) {
        self.code = code
        self.problems = problems
    }

    public init(_ code: Code, _ problem: String) {
        self.init(code, [problem])
    }

    public var description: String { problems.joined(separator: "\n") }
}

extension InvokerError: RuntimeErrorConvertible {
    public var runtimeError: RuntimeError {
        switch code {
        case .usage: return RuntimeError(.usage, description)
        case .config: return RuntimeError(.configMissing, description)
        case .server: return RuntimeError(.internal, description)
        }
    }
}
