import FoundationEssentials
import FunctionRuntime
import HTTPServer
#if canImport(Glibc)
import Glibc
#endif

/// The `invoker` command line: `--serve`, `--list`, `--spool`, `--attention`, `--help`.
public struct InvokerCommand: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case serve, list, spool, attention, help }

    public var action: Action
    public var config: String?
    public var host = "127.0.0.1"
    public var port = 8080
    public var functionsDirectory: String?
    /// The state directory (spool and attention list); nil: none.
    public var stateDirectory: String?
    /// `--spool --retry ID`: the dead letter to put back in line.
    public var retry: String?
    /// `--json`: machine-readable listings.
    public var json = false
    /// `--mode`: how functions without a `"mode"` of their own run (default fork).
    public var mode: RunMode?

    public init(
        action: Action, config: String? = nil, host: String = "127.0.0.1", port: Int = 8080,
        functionsDirectory: String? = nil
    ) {
        self.action = action
        self.config = config
        self.host = host
        self.port = port
        self.functionsDirectory = functionsDirectory
    }

    public static let usage = """
        invoker — serves the bundle's functions over HTTP/1.1, one process per request (CGI/1.1).

        Usage:
          invoker --serve --config functions.json [--port 8080] [--host 127.0.0.1] [--functions-dir DIR] [--mode fork|warm]
          invoker --list --config functions.json [--functions-dir DIR]
          invoker --spool --state-dir DIR [--retry ID] [--json]
          invoker --attention --state-dir DIR [--json]
          invoker --help

        --config FILE        routes and limits (schema: README, "functions.json")
        --port N             TCP port (0 picks a free one); default $PORT, else 8080
        --host ADDR          IPv4 address to listen on; default 127.0.0.1
        --functions-dir DIR  where the function executables are; default the invoker's own directory
        --mode fork|warm     how functions without a "mode" in functions.json run: a process per request
                             (fork, the default) or long-lived workers fed one request at a time (warm)
        --state-dir DIR      the spool of "ack": "spooled" routes (DIR/spool) and the list of outcomes that
                             need a person (DIR/attention.jsonl); without it spooled routes answer directly
        --spool              lists the spooled requests pending and the dead letters; --retry ID puts a
                             dead letter back in line (the running invoker runs it within a second)
        --attention          lists what needs a person: unconfirmed or refused replies and surveys, stale
                             claims, dead letters — each with what to do

        Prints `listening on http://HOST:PORT` on standard error once ready, then one JSON access-log
        line per request. GET /healthz answers 200. SIGTERM or SIGINT: stop accepting, let requests in
        flight finish (server.drain_ms), exit 0.
        Exit status: 0 stopped cleanly, 64 usage, 71 cannot listen, 78 functions.json rejected.

        """

    /// Parses the arguments (without the program name). Throws `.usage`. Without `--port`, `PORT`
    /// of `environment` names the port (Knative, Cloud Run and similar hosts set it).
    public static func parse(
        _ arguments: [String], environment: [String: String] = [:]
    ) throws -> InvokerCommand {
        var command = InvokerCommand(action: .help)
        if let text = environment["PORT"], !text.isEmpty {
            guard let p = Int(text), (0...65535).contains(p) else {
                throw InvokerError(.usage, "PORT must be 0…65535, got \(text)")
            }
            command.port = p
        }
        var action: Action?
        var i = 0
        func value(_ flag: String) throws -> String {
            i += 1
            guard i < arguments.count, !arguments[i].hasPrefix("--") else {
                throw InvokerError(.usage, "\(flag) needs a value")
            }
            return arguments[i]
        }
        func setAction(_ a: Action) throws {
            if let action, action != a { throw InvokerError(.usage, "give only one of --serve, --list, --help") }
            action = a
        }
        while i < arguments.count {
            let arg = arguments[i]
            switch arg {
            case "--serve": try setAction(.serve)
            case "--list": try setAction(.list)
            case "--spool": try setAction(.spool)
            case "--attention": try setAction(.attention)
            case "--state-dir": command.stateDirectory = try value(arg)
            case "--retry": command.retry = try value(arg)
            case "--json": command.json = true
            case "--help", "-h": try setAction(.help)
            case "--config": command.config = try value(arg)
            case "--host": command.host = try value(arg)
            case "--functions-dir": command.functionsDirectory = try value(arg)
            case "--mode":
                let v = try value(arg)
                guard let m = RunMode(rawValue: v) else {
                    throw InvokerError(.usage, "--mode must be fork or warm, got \(v)")
                }
                command.mode = m
            case "--port":
                let v = try value(arg)
                guard let p = Int(v), (0...65535).contains(p) else {
                    throw InvokerError(.usage, "--port must be 0…65535, got \(v)")
                }
                command.port = p
            default:
                throw InvokerError(.usage, "unknown argument \(arg.debugDescription); see --help")
            }
            i += 1
        }
        command.action = action ?? .help
        if [.serve, .list].contains(command.action) && command.config == nil {
            throw InvokerError(.usage, "--config FILE is required")
        }
        if [.spool, .attention].contains(command.action) && command.stateDirectory == nil {
            throw InvokerError(.usage, "--state-dir DIR is required")
        }
        if command.retry != nil && command.action != .spool { throw InvokerError(.usage, "--retry goes with --spool") }
        return command
    }

    /// The directory holding the running executable.
    public static func executableDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "." }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Runs the `invoker` process; never returns.
    public static func main() -> Never {
        let status: Int32
        do {
            let command = try parse(Array(CommandLine.arguments.dropFirst()), environment: Config.processEnvironment())
            status = try command.run()
        } catch let error as InvokerError {
            for p in error.problems { StandardStreams.writeError("invoker: \(p)\n") }
            status = error.code.exitStatus
        } catch {
            StandardStreams.writeError("invoker: \(error)\n")
            status = 70
        }
        exit(status)
    }

    /// Runs the command; for `--serve` this returns only after a SIGTERM/SIGINT drain.
    public func run() throws -> Int32 {
        switch action {
        case .help:
            StandardStreams.write(Self.usage)
            return 0
        case .list:
            let file = try FunctionsFile.load(
                path: config!, functionsDirectory: functionsDirectory ?? Self.executableDirectory())
            StandardStreams.write(Self.listing(file))
            return 0
        case .serve:
            let file = try FunctionsFile.load(
                path: config!, functionsDirectory: functionsDirectory ?? Self.executableDirectory())
            return try serve(file)
        case .spool:
            return spoolCommand(directory: stateDirectory! + "/spool")
        case .attention:
            let entries = JSONLines.read(stateDirectory! + "/attention.jsonl").lines
            StandardStreams.write(json ? JSON.array(entries).serialized() + "\n" : AttentionListing.text(entries))
            return 0
        }
    }

    /// `--spool`: the pending requests and dead letters, or `--retry ID`.
    func spoolCommand(directory: String) -> Int32 {
        if let id = retry {
            guard Spool.revive(directory: directory, id: id) else {
                StandardStreams.writeError("invoker: no dead letter \(id) in \(directory)\n")
                return 65
            }
            StandardStreams.write("\(id) is back in line; the running invoker retries it within a second\n")
            return 0
        }
        let (pending, dead) = Spool.snapshot(directory: directory)
        StandardStreams.write(
            json
                ? AttentionListing.spoolJSON(pending: pending, dead: dead).serialized() + "\n"
                : AttentionListing.spoolText(pending: pending, dead: dead))
        return 0
    }

    /// One line per route: method, path, what runs, and the limits that apply.
    public static func listing(_ file: FunctionsFile) -> String {
        let width = (file.routes.map { $0.method.count + 1 + $0.path.count }.max() ?? 0) + 2
        var out = ""
        for route in file.routes {
            let l = file.limits(for: route)
            let head = "\(route.method) \(route.path)"
            out += head + String(repeating: " ", count: max(1, width - head.count)) + route.target
            out += "   (timeout \(l.timeoutMS) ms, body ≤ \(l.maxBodyBytes) bytes, concurrency \(l.concurrency))\n"
        }
        return out
    }

    func serve(_ file: FunctionsFile) throws -> Int32 {
        // Block SIGTERM/SIGINT in every thread (threads inherit the mask) and take them with sigwait.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let state: InvokerState?
        do { state = try stateDirectory.map(InvokerState.init(directory:)) } catch let e as RuntimeError {
            throw InvokerError(.server, e.message)
        }
        var file = file
        if let mode { file.defaultMode(mode) }
        let invoker = Invoker(file: file, environment: Config.processEnvironment(), state: state)
        let http: HTTPServer
        do { http = try invoker.start(host: host, port: port) } catch let e as RuntimeError {
            throw InvokerError(.server, e.message)
        }
        StandardStreams.writeError("listening on http://\(host):\(http.port)\n")
        var received: Int32 = 0
        sigwait(&signals, &received)
        http.stopAccepting()
        StandardStreams.writeError(
            "invoker: \(received == SIGINT ? "SIGINT" : "SIGTERM") received; draining \(http.requestsInFlight) request(s)\n"
        )
        let clean = http.drain(deadline: Double(file.server.drainMS) / 1000)
        if !clean {
            let killed = FunctionProcess.killAll()
            StandardStreams.writeError("invoker: drain deadline passed; killed \(killed) function process group(s)\n")
        }
        invoker.closeWorkers()
        StandardStreams.writeError("invoker: stopped\n")
        return 0
    }
}
