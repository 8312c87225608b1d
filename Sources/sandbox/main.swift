import FoundationEssentials
import FunctionRuntime
import SandboxKit
#if canImport(Glibc)
import Glibc
#endif

// sandbox [--host 127.0.0.1] [--port N] [--state FILE] [--seed FILE]
//
// Serves the emulated Zendesk, Klaviyo, Twilio and 2listen APIs and the /_ctl control API on one
// port. Prints `PORT=<n>` as the first line of stdout, then one readable line per request.
// SIGTERM or SIGINT stops it cleanly (requests in flight finish, the state file is saved).

let usage = "usage: sandbox [--host 127.0.0.1] [--port N] [--state FILE] [--seed FILE]\n"

func fail(_ message: String, status: Int32) -> Never {
    StandardStreams.writeError("sandbox: \(message)\n")
    exit(status)
}

var host = "127.0.0.1"
var port = 0
var statePath: String?
var seedPath: String?
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    if flag == "--help" || flag == "-h" { StandardStreams.write(usage); exit(0) }
    guard ["--host", "--port", "--state", "--seed"].contains(flag) else {
        fail("unknown argument \(flag)\n\(usage)", status: 64)
    }
    guard !arguments.isEmpty else { fail("\(flag) needs a value\n\(usage)", status: 64) }
    let value = arguments.removeFirst()
    switch flag {
    case "--host": host = value
    case "--port":
        guard let p = Int(value), (0...65535).contains(p) else { fail("--port must be 0-65535", status: 64) }
        port = p
    case "--state": statePath = value
    default: seedPath = value
    }
}

// Event-log lines wait until `PORT=` has been printed, so it stays the first line.
final class Gate: Sendable {
    /// nil once open; until then the lines held back.
    private let pending = Locked<[String]?>([])
    func write(_ line: String) {
        pending.withValue { held in
            if held == nil { StandardStreams.write(line + "\n") } else { held?.append(line) }
        }
    }
    func openWith(_ first: String) {
        pending.withValue { held in
            StandardStreams.write(first + "\n")
            for line in held ?? [] { StandardStreams.write(line + "\n") }
            held = nil
        }
    }
}
let gate = Gate()

// Block the stop signals before any thread starts, so only `sigwait` below receives them.
var signals = sigset_t()
sigemptyset(&signals)
sigaddset(&signals, SIGTERM)
sigaddset(&signals, SIGINT)
pthread_sigmask(SIG_BLOCK, &signals, nil)

var options = SandboxOptions(statePath: statePath, eventLog: { gate.write($0) })
options.automationInterval = 60
let sandbox = Sandbox(options: options)
do {
    try sandbox.loadState()
    if let seedPath {
        guard let bytes = try? FileBytes.read(seedPath).get() else {
            fail("cannot read seed file \(seedPath)", status: 66)
        }
        try sandbox.seed(try JSON.parse(bytes))
    }
    try sandbox.start(host: host, port: port)
} catch let error as RuntimeError {
    fail(error.message, status: error.code.exitStatus)
} catch {
    fail("\(error)", status: 70)
}
gate.openWith("PORT=\(sandbox.port)")

var received: Int32 = 0
sigwait(&signals, &received)
gate.write("stopping (signal \(received))")
sandbox.stop()
exit(0)
