import FoundationEssentials
import FunctionRuntime
import InvokerKit
#if canImport(Glibc)
import Glibc
#endif

/// The `bundle-demo` command line:
///
/// ```
/// bundle-demo serve [--port 8080] [--sandbox-port N] [--host 127.0.0.1] [--config functions.json]
///                   [--state .sandbox-state.json | --no-state] [--functions-dir DIR]
/// bundle-demo demo  [--config functions.json] [--functions-dir DIR] [--verbose]
/// ```
public struct DemoCommand: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case serve, demo, help }

    public var action: Action
    public var config = "functions.json"
    public var host = "127.0.0.1"
    public var port = 8080
    /// nil: the port after `port` (a free one when `port` is 0).
    public var sandboxPort: Int?
    public var statePath: String? = ".sandbox-state.json"
    public var functionsDirectory: String?
    /// The invoker's state directory (spool and attention list); nil: none.
    public var stateDirectory: String?
    public var verbose = false

    public init(action: Action) { self.action = action }

    public static let usage = """
        bundle-demo — the bundle on the built-in sandbox (Zendesk, Klaviyo, Twilio, 2listen emulated).

        Usage:
          bundle-demo serve [--port 8080] [--sandbox-port N] [--host 127.0.0.1] [--config functions.json]
                            [--state .sandbox-state.json | --no-state] [--state-dir DIR] [--functions-dir DIR]
          bundle-demo demo  [--config functions.json] [--functions-dir DIR] [--verbose]

        serve  starts the sandbox (state kept in --state across restarts) and the invoker with every
               function pointed at it, registers the webhooks and automations in the sandbox's Zendesk,
               seeds a demo account and prints what to try. The sandbox listens on --sandbox-port
               (default: the port after --port). Ctrl-C or SIGTERM stops both.
        demo   runs a scripted conversation end to end through the invoker on free ports and prints a
               transcript; exits 1 naming the step that did not happen.
        Exit status: 0 done, 1 a demo step failed, 64 usage, 71 cannot start, 78 setup failed.

        """

    /// Parses the arguments (without the program name).
    public static func parse(_ arguments: [String]) throws -> DemoCommand {
        guard let first = arguments.first else { return DemoCommand(action: .help) }
        var command: DemoCommand
        switch first {
        case "serve": command = DemoCommand(action: .serve)
        case "demo": command = DemoCommand(action: .demo)
        case "help", "--help", "-h": return DemoCommand(action: .help)
        default: throw DemoError(.usage, "unknown command \(first.debugDescription); use serve or demo")
        }
        var i = 1
        func value(_ flag: String) throws -> String {
            i += 1
            guard i < arguments.count, !arguments[i].hasPrefix("--") else {
                throw DemoError(.usage, "\(flag) needs a value")
            }
            return arguments[i]
        }
        func port(_ flag: String) throws -> Int {
            let v = try value(flag)
            guard let p = Int(v), (0...65535).contains(p) else {
                throw DemoError(.usage, "\(flag) must be 0…65535, got \(v)")
            }
            return p
        }
        while i < arguments.count {
            let arg = arguments[i]
            switch (command.action, arg) {
            case (_, "--config"): command.config = try value(arg)
            case (_, "--functions-dir"): command.functionsDirectory = try value(arg)
            case (_, "--help"), (_, "-h"): return DemoCommand(action: .help)
            case (.serve, "--port"): command.port = try port(arg)
            case (.serve, "--sandbox-port"): command.sandboxPort = try port(arg)
            case (.serve, "--host"): command.host = try value(arg)
            case (.serve, "--state"): command.statePath = try value(arg)
            case (.serve, "--no-state"): command.statePath = nil
            case (.serve, "--state-dir"): command.stateDirectory = try value(arg)
            case (.demo, "--verbose"): command.verbose = true
            default: throw DemoError(.usage, "unknown argument \(arg.debugDescription) for \(first); see --help")
            }
            i += 1
        }
        return command
    }

    /// The sandbox port `serve` asks for.
    public var effectiveSandboxPort: Int { sandboxPort ?? (port == 0 || port == 65535 ? 0 : port + 1) }

    func stackOptions(environment: [String: String]) -> DemoStackOptions {
        var o = DemoStackOptions(
            configPath: config, functionsDirectory: functionsDirectory ?? InvokerCommand.executableDirectory())
        o.processEnvironment = environment
        return o
    }

    /// Runs the `bundle-demo` process; never returns.
    public static func main() -> Never {
        let status: Int32
        do {
            let command = try parse(Array(CommandLine.arguments.dropFirst()))
            status = try command.run(environment: Config.processEnvironment())
        } catch let e as DemoError {
            StandardStreams.writeError("bundle-demo: \(e.message)\n")
            if e.code == .usage { StandardStreams.writeError(usage) }
            status = e.code.exitStatus
        } catch {
            StandardStreams.writeError("bundle-demo: \(error)\n")
            status = 70
        }
        exit(status)
    }

    /// Runs the command; `serve` returns after SIGTERM/SIGINT.
    public func run(environment: [String: String]) throws -> Int32 {
        switch action {
        case .help:
            StandardStreams.write(Self.usage)
            return 0
        case .serve:
            return try ServeCommand(command: self, environment: environment).run()
        case .demo:
            return try runDemo(environment: environment)
        }
    }

    func runDemo(environment: [String: String]) throws -> Int32 {
        var options = stackOptions(environment: environment)
        let access = Locked<[String]>([])
        let events = Locked<[String]>([])
        let verbose = self.verbose
        options.accessLog = { line in if verbose { StandardStreams.writeError(line) } else { access.append(line) } }
        options.sandboxLog = { line in
            if verbose { StandardStreams.writeError("sandbox: " + line + "\n") } else { events.append(line) }
        }
        // The functions write their JSON log lines to the invoker's standard error, which is
        // ours: keep them aside (shown when a step fails) so the transcript stays readable.
        let captured = verbose ? nil : StandardErrorCapture.begin()
        defer { captured?.end() }
        let stack = try DemoStack.start(options)
        defer { stack.stop() }
        StandardStreams.write(
            "Demo: the sandbox at \(stack.sandboxURL), the invoker at \(stack.invokerURL) (functions.json), webhooks registered by bundle-setup.\n\n"
        )
        do {
            _ = try DemoScript(stack: stack, write: { StandardStreams.write($0 + "\n") }).run()
            return 0
        } catch let e as DemoError where e.code == .step {
            StandardStreams.write("\nDemo FAILED at \(e.message)\n")
            if let captured {
                let functionLog = captured.end()
                StandardStreams.writeError(
                    "sandbox event log (last lines):\n" + events.value.suffix(60).joined(separator: "\n") + "\n")
                StandardStreams.writeError("invoker access log (last lines):\n" + access.value.suffix(30).joined())
                StandardStreams.writeError(
                    "function log (last lines):\n"
                        + functionLog.split(separator: "\n").suffix(30).joined(separator: "\n") + "\n")
            }
            return e.code.exitStatus
        }
    }
}
