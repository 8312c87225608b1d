import FunctionRuntime

/// Why `bundle-demo` stopped: one error type for the module, with a code that maps to an exit
/// status (sysexits, like the functions).
public struct DemoError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// Wrong command line (exit 64).
        case usage
        /// The sandbox or the invoker could not start, or functions.json was refused (exit 71).
        case startup
        /// Registering the webhooks in the sandbox's Zendesk failed (exit 78).
        case setup
        /// A step of the scripted conversation did not happen (exit 1).
        case step

        public var exitStatus: Int32 {
            switch self {
            case .usage: return 64
            case .startup: return 71
            case .setup: return 78
            case .step: return 1
            }
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
