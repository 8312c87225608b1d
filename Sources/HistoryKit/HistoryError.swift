import FoundationEssentials
import FunctionRuntime

/// The one error type of HistoryKit (`./invoke backfill`, `./invoke report`).
public struct HistoryError: Error, CustomStringConvertible, RuntimeErrorConvertible {
    public enum Code: String, Sendable {
        /// Wrong command-line usage (exit 64).
        case usage
        /// `--help`: the usage text was asked for (exit 0).
        case help
        /// The state file is unreadable or belongs to another run (exit 65).
        case state
        /// A service answered what the reader cannot use (exit 70).
        case unreadable
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public var runtimeError: RuntimeError {
        switch code {
        case .usage, .help: return RuntimeError(.usage, message)
        case .state: return RuntimeError(.invalidEvent, message)
        case .unreadable: return RuntimeError(.internal, message)
        }
    }
}
