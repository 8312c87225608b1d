import FunctionRuntime

/// The one error type of SetupKit.
public struct SetupError: Error, CustomStringConvertible, RuntimeErrorConvertible {
    public enum Code: String, Sendable {
        /// Wrong command-line usage.
        case usage
        /// `--help`: the usage text was asked for (exit 0).
        case help
        /// A required setting (credential, public URL) is missing.
        case missingSetting = "missing_setting"
        /// A service refused a change.
        case refused
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
        case .usage: return RuntimeError(.usage, message)
        case .help: return RuntimeError(.usage, message)
        case .missingSetting: return RuntimeError(.configMissing, message)
        case .refused: return RuntimeError(.internal, message)
        }
    }
}
