import FunctionRuntime

/// The one error type of the SMS modules.
public struct SMSError: Error, CustomStringConvertible, RuntimeErrorConvertible, Equatable {
    public enum Code: String, Sendable {
        /// The event has no usable message (no sender, no message id, unknown shape). Exit 65.
        case invalidMessage = "invalid_message"
        /// A configuration value is malformed (e.g. an unknown `SMS_PROVIDER`). Exit 78.
        case badConfiguration = "bad_configuration"
        /// Zendesk kept answering in a way the rules cannot settle (e.g. endless conflicts). Exit 75.
        case unsettled
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public var runtimeError: RuntimeError {
        switch code {
        case .invalidMessage: return RuntimeError(.invalidEvent, message)
        case .badConfiguration: return RuntimeError(.configMissing, message)
        case .unsettled: return RuntimeError(.upstreamUnavailable, message, retryAfter: 2)
        }
    }
}
