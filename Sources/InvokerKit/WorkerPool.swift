import BundleCore
import FoundationEssentials
import FunctionRuntime
import HTTPServer
#if canImport(Glibc)
import Glibc
#endif

/// The warm workers of one function: at most `size` processes, each running one request at a
/// time. A request takes an idle worker, else starts one while the pool is below `size`, else
/// waits (within its time limit) for one to come free. A worker is replaced after it crashed,
/// hung past a request's time limit (killed), served `maxRequests` requests (default 10,000) or
/// grew past `maxResidentBytes` (default 256 MiB; checked after its first request and every
/// `memoryCheckEvery` after); workers idle for `idleSeconds` are retired,
/// down to one.
public final class WorkerPool: Sendable {
    public let spec: FunctionSpec
    public let size: Int
    public let maxRequests: Int
    public let maxResidentBytes: Int
    public static let idleSeconds = 60.0
    /// How often (in requests served, from the first) a worker's resident memory is checked.
    public static let memoryCheckEvery = 8

    private struct State: Sendable {
        var idle: [WarmWorker] = []
        var total = 0
        var started = 0
        var replaced = 0
    }
    private let state = PlainMutex(State())
    /// One slot per worker the pool may run: taking one guarantees an idle worker or room to start one.
    private let slots: RunGate
    private let environment: [String: String]

    /// - Parameter environment: what a worker starts with (each request brings its own).
    public init(
        spec: FunctionSpec, size: Int, environment: [String: String], maxRequests: Int = 10_000,
        maxResidentBytes: Int = 256 << 20
    ) {
        self.spec = spec
        self.maxRequests = maxRequests
        self.maxResidentBytes = maxResidentBytes
        self.size = max(1, size)
        self.environment = environment
        slots = RunGate(width: max(1, size))
    }

    /// Workers now, requests started and workers replaced so far (for `/metrics`).
    public var load: (workers: Int, idle: Int, started: Int, replaced: Int) {
        state.withLock { ($0.total, $0.idle.count, $0.started, $0.replaced) }
    }

    /// Runs one request on a worker (see `WarmWorker.exchange`).
    public func run(environment: [String: String], input: [UInt8], timeoutMS: Int) -> ProcessResult {
        slots.withTurn(timeoutMS: max(1, timeoutMS)) { left in
            let worker: WarmWorker
            switch checkout() {
            case .success(let w): worker = w
            case .failure(let why):
                return ProcessResult(end: .spawnFailed(why.text), stdout: [], pid: 0, milliseconds: 0)
            }
            let result = worker.exchange(environment: environment, input: input, timeoutMS: left)
            checkin(worker)
            return result
        }
    }

    /// An idle live worker, or a new one (a slot is held, so there is room).
    private func checkout() -> Result<WarmWorker, FunctionProcess.SpawnFailure> {
        while let w = state.withLock({ $0.idle.popLast() }) {
            if !w.hasExited { return .success(w) }
            w.kill()  // died while idle: reap it and take another
            state.withLock {
                $0.total -= 1
                $0.replaced += 1
            }
        }
        state.withLock {
            $0.total += 1
            $0.started += 1
        }
        let started = WarmWorker.start(spec, environment: environment)
        if case .failure = started { state.withLock { $0.total -= 1 } }
        return started
    }

    /// Back to the idle list, or replaced when it died, served its share or grew too big.
    private func checkin(_ w: WarmWorker) {
        // Resident memory is read every `memoryCheckEvery` requests (an open, a read and a close of
        // `/proc/PID/statm` each time): a worker past the limit serves at most that many more.
        let worn =
            w.served >= maxRequests
            || ((w.served - 1) % Self.memoryCheckEvery == 0 && w.residentBytes > maxResidentBytes)
        if w.isDead || worn {
            if worn { Thread.detach { w.retire() } }  // not on the request's time
            state.withLock {
                $0.total -= 1
                $0.replaced += 1
            }
            return
        }
        state.withLock { $0.idle.append(w) }
    }

    /// Retires workers idle longer than `idleSeconds`, keeping one.
    public func shrink() {
        let now = Clock.monotonicMS()
        let retiring = state.withLock { s -> [WarmWorker] in
            guard s.total > 1 else { return [] }
            let old = s.idle.filter { now - $0.idleSince > Self.idleSeconds * 1000 }.prefix(s.total - 1)
            s.idle.removeAll { w in old.contains { $0 === w } }
            s.total -= old.count
            return Array(old)
        }
        for w in retiring { w.retire() }
    }

    /// Ends every idle worker (the invoker is stopping); busy ones end with their request.
    public func close() {
        let all = state.withLock { s -> [WarmWorker] in
            defer { s.idle = [] }
            s.total -= s.idle.count
            return s.idle
        }
        for w in all { w.retire() }
    }
}
