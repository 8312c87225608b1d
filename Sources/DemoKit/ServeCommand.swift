import FoundationEssentials
import FunctionRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `bundle-demo serve`: the stack with a persistent sandbox until SIGTERM or SIGINT.
///
/// The sandbox's event log goes to standard output once the instructions are printed (the
/// setup's own requests at start are not shown); the invoker's access log and the functions'
/// log lines go to standard error.
struct ServeCommand {
    let command: DemoCommand
    let environment: [String: String]

    func run() throws -> Int32 {
        // Block the stop signals in every thread (threads inherit the mask) and take them with sigwait.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let gate = OutputGate()
        var options = command.stackOptions(environment: environment)
        options.host = command.host
        options.invokerPort = command.port
        options.sandboxPort = command.effectiveSandboxPort
        options.statePath = command.statePath
        options.stateDirectory = command.stateDirectory
        options.automationInterval = 60
        options.sandboxLog = { line in gate.write("sandbox: " + line + "\n") }
        let stack = try DemoStack.start(options)
        StandardStreams.write(stack.instructions(statePath: command.statePath).text + "\n")
        StandardStreams.writeError("listening on \(stack.invokerURL)\n")
        gate.open()

        var received: Int32 = 0
        sigwait(&signals, &received)
        StandardStreams.writeError(
            "bundle-demo: \(received == SIGINT ? "SIGINT" : "SIGTERM") received; stopping the invoker and the sandbox\n"
        )
        stack.stop()
        StandardStreams.writeError("bundle-demo: stopped\n")
        return 0
    }
}

/// Drops lines until opened, then writes them to standard output.
final class OutputGate: Sendable {
    private let isOpen = Locked(false)
    func write(_ text: String) { isOpen.withValue { if $0 { StandardStreams.write(text) } } }
    func open() { isOpen.value = true }
}
