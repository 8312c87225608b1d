import FoundationEssentials
import FunctionRuntime
import HTTPServer
import InvokerKit
import SandboxKit
import SetupKit

/// The bundle running on the built-in sandbox: the sandbox (Zendesk, Klaviyo, Twilio, 2listen),
/// the invoker serving functions.json with every function pointed at it, the bundle's webhooks,
/// automations and view registered in the sandbox's Zendesk by `bundle-setup`, and the demo
/// account seeded (`DemoAccount`).
///
/// Start order: the sandbox; the invoker's listener (so its address is known: it is the
/// `PUBLIC_URL` Twilio signs and the endpoint the Zendesk webhooks name); the seed; the setup
/// (`setup --public-url <invoker> --sms --survey --apply`, idempotent, so a restarted `serve`
/// finds its objects again and only repairs their endpoints); then the invoker's function
/// environment with the webhooks' signing secrets. Until that last step the invoker answers 503.
public final class DemoStack: Sendable {
    public let sandbox: Sandbox
    public let file: FunctionsFile
    let server: HTTPServer
    let box: Locked<Invoker?>
    public let invokerURL: String
    /// The environment every function gets (set by `prepare`).
    public var environment: [String: String] { prepared.value.environment }
    /// What `bundle-setup` printed.
    public var setupOutput: [String] { prepared.value.setupOutput }
    private let prepared = Locked((environment: [String: String](), setupOutput: [String]()))

    /// The sandbox's base URL.
    public var sandboxURL: String { sandbox.baseURL }

    /// Starts everything; on failure whatever started is stopped again.
    public static func start(_ options: DemoStackOptions) throws -> DemoStack {
        let file: FunctionsFile
        do {
            file = try FunctionsFile.load(path: options.configPath, functionsDirectory: options.functionsDirectory)
        } catch let e as InvokerError {
            throw DemoError(.startup, e.problems.joined(separator: "\n"))
        }
        var sandboxOptions = SandboxOptions(statePath: options.statePath, eventLog: options.sandboxLog)
        sandboxOptions.automationInterval = options.automationInterval
        let sandbox = Sandbox(options: sandboxOptions)
        do {
            try sandbox.loadState()
        } catch let e as RuntimeError {
            throw DemoError(
                .startup, "the sandbox state could not be loaded: \(e.message) (move the file away to start afresh)")
        }
        do {
            do { try sandbox.start(host: options.host, port: options.sandboxPort) } catch let e as RuntimeError
                where options.sandboxPort != 0
            {
                options.sandboxLog?(
                    "sandbox: port \(options.sandboxPort) unavailable (\(e.message)); using a free port")
                try sandbox.start(host: options.host, port: 0)
            }
        } catch let e as RuntimeError {
            throw DemoError(.startup, "the sandbox could not start: \(e.message)")
        }
        let box = Locked<Invoker?>(nil)
        let server = HTTPServer(limits: Invoker(file: file, environment: [:]).serverLimits) { request in
            guard let invoker = box.value else {
                return .respond(.json(503, ["error": "starting"], headers: [("Retry-After", "1")]))
            }
            return .respond(invoker.handle(request))
        }
        do { try server.start(host: options.host, port: options.invokerPort) } catch {
            sandbox.stop()
            let message = (error as? RuntimeError)?.message ?? "\(error)"
            throw DemoError(
                .startup, "the invoker could not listen on \(options.host):\(options.invokerPort): \(message)")
        }
        let host = options.host == "0.0.0.0" ? "127.0.0.1" : options.host
        let stack = DemoStack(
            sandbox: sandbox, file: file, server: server, box: box, invokerURL: "http://\(host):\(server.port)")
        do {
            try stack.prepare(options)
        } catch {
            stack.stop()
            throw error
        }
        return stack
    }

    init(sandbox: Sandbox, file: FunctionsFile, server: HTTPServer, box: Locked<Invoker?>, invokerURL: String) {
        self.sandbox = sandbox
        self.file = file
        self.server = server
        self.box = box
        self.invokerURL = invokerURL
    }

    /// Seeds the account, runs the setup and configures the invoker.
    func prepare(_ options: DemoStackOptions) throws {
        do { try sandbox.seed(DemoAccount.seed()) } catch let e as RuntimeError {
            throw DemoError(.startup, "seeding the demo account failed: \(e.message)")
        }
        let lines = Locked<[String]>([])
        let arguments =
            ["setup", "--public-url", invokerURL, "--sms", "--survey", "--apply"]
            + (options.triggers ? ["--triggers"] : [])
        // SMS through Twilio: setup also points the brand number's SMS webhook at /sms/inbound.
        var setupEnvironment = sandbox.functionEnvironment()
        setupEnvironment[ConfigKey.smsProvider] = "twilio"
        let status = BundleSetup.run(arguments: arguments, environment: setupEnvironment, write: { lines.append($0) })
        let output = lines.value
        prepared.withValue { $0.setupOutput = output }
        guard status == 0 else {
            throw DemoError(
                .setup,
                "bundle-setup \(arguments.joined(separator: " ")) exited \(status):\n"
                    + output.joined(separator: "\n"))
        }
        let secrets = webhookSecrets()
        guard !secrets.isEmpty else {
            throw DemoError(.setup, "setup left no Zendesk webhook pointing at \(invokerURL)")
        }
        var env = sandbox.functionEnvironment()
        for key in ["PATH", "HOME", "LANG", "TZ", "INVOKER_MODE", "REPORT_TOKEN", "CONSOLE_TOKEN"] {
            if let v = options.processEnvironment[key] { env[key] = v }
        }
        if env["PATH"] == nil { env["PATH"] = "/usr/bin:/bin" }
        env[ConfigKey.publicURL] = invokerURL
        env[ConfigKey.smsProvider] = "twilio"
        env[ConfigKey.zendeskWebhookSecret] = secrets.joined(separator: ",")
        env[ConfigKey.zendeskSMSBrandID] = String(DemoAccount.brandID)
        prepared.withValue { [env] in $0.environment = env }
        let log = AccessLog(
            redactor: Redactor(secrets: Config(environment: env).secrets),
            write: options.accessLog ?? { StandardStreams.writeError($0) })
        let state: InvokerState?
        do { state = try options.stateDirectory.map(InvokerState.init(directory:)) } catch let e as RuntimeError {
            throw DemoError(.startup, "the invoker's state directory cannot be used: \(e.message)")
        }
        box.value = Invoker(file: file, environment: env, accessLog: log, state: state)
    }

    /// The signing secrets of the Zendesk webhooks that call this invoker, each bound to the
    /// route its webhook posts to (`/route=secret`).
    func webhookSecrets() -> [String] {
        (sandbox.state().at("zendesk.webhooks").array ?? [])
            .filter { ($0["endpoint"].string ?? "").hasPrefix(invokerURL + "/") && $0["status"].string == "active" }
            .compactMap { hook in
                guard let secret = hook["signing_secret"].string, let endpoint = hook["endpoint"].string else {
                    return nil
                }
                return String(endpoint.dropFirst(invokerURL.count)) + "=" + secret
            }
    }

    /// Stops the invoker (requests in flight finish, up to functions.json's `server.drain_ms`),
    /// then the sandbox (which saves its state). Returns false when requests had to be cut off.
    @discardableResult
    public func stop() -> Bool {
        let clean = server.stop(deadline: Double(file.server.drainMS) / 1000)
        if !clean { _ = FunctionProcess.killAll() }
        box.value?.closeWorkers()
        sandbox.stop()
        return clean
    }
}
