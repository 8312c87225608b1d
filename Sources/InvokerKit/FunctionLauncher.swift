import FunctionRuntime

/// Starts a function for one stage of one request and collects what it wrote.
///
/// The invoker only talks to this protocol: today every request spawns a fresh process
/// (`SpawnLauncher`); a warm-worker launcher that feeds requests to long-lived `--stream`
/// processes can take its place without touching routing, limits or response mapping.
public protocol FunctionLauncher: Sendable {
    func run(_ function: FunctionSpec, environment: [String: String], input: [UInt8], timeoutMS: Int) -> ProcessResult
}

/// One process per invocation (`posix_spawn`, own process group), at most `gate.width` at once,
/// the others started in arrival order. The wait counts against the stage's time limit: a
/// request whose turn does not come in time is not started (`notStarted`, answered 503).
/// With `captureLog`, each function's log lines pass through the invoker (forwarded to its
/// standard error and returned in `ProcessResult.log` for `/metrics` and `/console`).
public struct SpawnLauncher: FunctionLauncher {
    public let gate: RunGate
    public let captureLog: Bool

    public init(gate: RunGate = RunGate(width: 0), captureLog: Bool = false) {
        self.gate = gate
        self.captureLog = captureLog
    }

    public func run(
        _ function: FunctionSpec, environment: [String: String], input: [UInt8], timeoutMS: Int
    ) -> ProcessResult {
        let queued = BundleCore.Clock.monotonicMS()
        guard gate.enter(timeoutMS: timeoutMS) else {
            let waited = Int(BundleCore.Clock.monotonicMS() - queued)
            return ProcessResult(end: .notStarted(waitedMS: waited), stdout: [], pid: 0, milliseconds: Double(waited))
        }
        defer { gate.leave() }
        let left = timeoutMS - Int(BundleCore.Clock.monotonicMS() - queued)
        guard left >= 1 else {
            return ProcessResult(end: .notStarted(waitedMS: timeoutMS), stdout: [], pid: 0, milliseconds: 0)
        }
        return FunctionProcess.run(
            executable: function.path, arguments: function.args, environment: environment, input: input,
            timeoutMS: left, captureLog: captureLog)
    }
}
