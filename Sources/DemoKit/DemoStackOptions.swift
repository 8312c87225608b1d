import FunctionRuntime
import InvokerKit

/// How a `DemoStack` runs: where functions.json and the function executables are, the ports,
/// and where the sandbox keeps its state and where the logs go.
public struct DemoStackOptions: Sendable {
    /// The functions.json the invoker serves.
    public var configPath: String
    /// Where the function executables are (the invoker's `--functions-dir`).
    public var functionsDirectory: String
    /// The address both servers listen on.
    public var host = "127.0.0.1"
    /// The invoker's port (0: a free one).
    public var invokerPort = 0
    /// The sandbox's port (0: a free one). A port that is taken falls back to a free one.
    public var sandboxPort = 0
    /// The sandbox's state file (nil: in memory only).
    public var statePath: String?
    /// The invoker's state directory: spool and attention list (nil: none).
    public var stateDirectory: String?
    /// Seconds between automatic runs of the sandbox's Zendesk automations (nil: only when the
    /// clock is moved or `/_ctl/zendesk/run-automations` is called).
    public var automationInterval: Double?
    /// The sandbox's readable event log (nil: dropped).
    public var sandboxLog: (@Sendable (String) -> Void)?
    /// The invoker's access log and the functions' own log lines go to standard error; this
    /// receives the access-log lines instead (nil: standard error).
    public var accessLog: (@Sendable (String) -> Void)?
    /// `PATH`, `HOME`, `LANG`, `TZ` for the functions (the rest of the environment never reaches them).
    public var processEnvironment: [String: String] = [:]
    /// Wire Zendesk with trigger-driven webhooks and triggers (`setup --triggers`) instead of
    /// event subscriptions.
    public var triggers = false

    /// The directory of the running executable (a release build keeps the functions there).
    public static var executableDirectory: String { InvokerCommand.executableDirectory() }

    public init(configPath: String, functionsDirectory: String = DemoStackOptions.executableDirectory) {
        self.configPath = configPath
        self.functionsDirectory = functionsDirectory
    }
}
