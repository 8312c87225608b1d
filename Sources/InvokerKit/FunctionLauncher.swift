import BundleCore
import FunctionRuntime
import HTTPServer

/// Starts a function for one stage of one request and collects what it wrote.
///
/// The invoker only talks to this protocol: a fresh process per request (`SpawnLauncher`), or
/// long-lived workers for the functions in warm mode (`WarmLauncher`); routing, limits and
/// response mapping are the same for both.
public protocol FunctionLauncher: Sendable {
    func run(_ function: FunctionSpec, environment: [String: String], input: [UInt8], timeoutMS: Int) -> ProcessResult
}

/// One process per invocation (vfork + exec, own process group), at most `gate.width` at once,
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
        gate.withTurn(timeoutMS: timeoutMS) { left in
            FunctionProcess.run(
                executable: function.path, arguments: function.args, environment: environment, input: input,
                timeoutMS: left, captureLog: captureLog)
        }
    }
}

/// Runs the `"mode": "warm"` functions on their `WorkerPool`s and the others as `SpawnLauncher`
/// does, behind the same `RunGate` (a busy worker counts as a running process). Idle workers are
/// retired every few seconds (see `WorkerPool.shrink`).
public final class WarmLauncher: FunctionLauncher {
    public let spawner: SpawnLauncher
    public let pools: [String: WorkerPool]

    /// - Parameter environment: what each worker starts with (each request brings its own).
    public init(file: FunctionsFile, gate: RunGate, captureLog: Bool, environment: [String: String]) {
        spawner = SpawnLauncher(gate: gate, captureLog: captureLog)
        var pools: [String: WorkerPool] = [:]
        for (name, spec) in file.functions where spec.mode == .warm {
            let size = spec.settings.concurrency ?? file.defaults.concurrency ?? Settings.builtIn.concurrency!
            pools[name] = WorkerPool(spec: spec, size: size, environment: environment)
        }
        self.pools = pools
        guard !pools.isEmpty else { return }
        Thread.detach { [weak self] in
            while true {
                BundleCore.Clock.sleep(5)
                guard let self else { return }
                for pool in self.pools.values { pool.shrink() }
            }
        }
    }

    deinit { close() }

    public var gate: RunGate { spawner.gate }

    /// The pools' workers now, idle now, started and replaced so far, summed.
    public var load: (workers: Int, idle: Int, started: Int, replaced: Int) {
        pools.values.map(\.load).reduce(into: (workers: 0, idle: 0, started: 0, replaced: 0)) { sum, l in
            sum.workers += l.workers
            sum.idle += l.idle
            sum.started += l.started
            sum.replaced += l.replaced
        }
    }

    public func run(
        _ function: FunctionSpec, environment: [String: String], input: [UInt8], timeoutMS: Int
    ) -> ProcessResult {
        guard let pool = pools[function.name] else {
            return spawner.run(function, environment: environment, input: input, timeoutMS: timeoutMS)
        }
        return gate.withTurn(timeoutMS: timeoutMS) { left in
            pool.run(environment: environment, input: input, timeoutMS: left)
        }
    }

    /// Ends the idle workers (the invoker is stopping).
    public func close() { for pool in pools.values { pool.close() } }
}
