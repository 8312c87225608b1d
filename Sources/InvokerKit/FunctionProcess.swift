import FoundationEssentials
import CShims
import FunctionRuntime
#if canImport(Glibc)
import Glibc
#endif

/// How a function process ended.
public enum ProcessEnd: Sendable, Equatable {
    /// Exited by itself with this status.
    case exited(Int32)
    /// Killed by a signal it did not ask for (a crash).
    case signaled(Int32)
    /// Ran past its time limit; its whole process group was killed.
    case timedOut
    /// Wrote more than the output limit; its whole process group was killed.
    case outputTooLarge
    /// Could not be started (errno text).
    case spawnFailed(String)
    /// Never started: its turn (`server.max_running`) did not come before the deadline.
    case notStarted(waitedMS: Int)
    /// A warm worker died or broke the frame protocol while it had the request (it is replaced).
    case workerLost(String)
}

/// One finished run of a function executable.
public struct ProcessResult: Sendable {
    public var end: ProcessEnd
    /// Everything the process wrote to standard output.
    public var stdout: [UInt8]
    /// The process id, which was also its process group id.
    public var pid: Int32
    public var milliseconds: Double
    /// The log lines it wrote to standard error, when the run captured them (`captureLog`; at
    /// most `maximumLog` bytes kept — the lines themselves are all forwarded).
    public var log: [UInt8] = []

    public init(end: ProcessEnd, stdout: [UInt8], pid: Int32, milliseconds: Double, log: [UInt8] = []) {
        self.end = end
        self.stdout = stdout
        self.pid = pid
        self.milliseconds = milliseconds
        self.log = log
    }
}

/// Runs one executable per call (`shim_spawn`, a vfork + exec): its own process group, a clean signal state,
/// only fds 0–2 open (stdin and stdout are pipes; stderr is the invoker's, so the function's log
/// lines join the invoker's — or, with `captureLog`, a pipe whose whole lines are forwarded to the
/// invoker's stderr as they come and kept for `/metrics` and `/console`), `input` written to stdin
/// while stdout is read (no pipe deadlock), and the process group killed with SIGKILL on timeout
/// and after the process ends (no stragglers).
public enum FunctionProcess {
    /// Output beyond this many bytes ends the process (`.outputTooLarge`).
    public static let maximumOutput = 16 << 20
    /// Log bytes kept per run for the counters (the rest is forwarded, not kept).
    public static let maximumLog = 256 << 10

    private static let registryLock = Lock()
    nonisolated(unsafe) private static var running: Set<pid_t> = []

    /// Kills the process group of every function still running (when the invoker must exit
    /// before they finish); returns how many there were.
    @discardableResult
    public static func killAll() -> Int {
        registryLock.withLock {
            for pid in running { kill(-pid, SIGKILL) }
            return running.count
        }
    }

    public static func run(
        executable: String, arguments: [String], environment: [String: String],
        input: [UInt8], timeoutMS: Int, captureLog: Bool = false
    ) -> ProcessResult {
        let started = Clock.monotonicMS()
        let deadline = started + Double(timeoutMS)
        let spawned: Spawned
        switch spawn(
            executable: executable, arguments: arguments, environment: environment, captureLog: captureLog,
            answerRoom: true)
        {
        case .success(let s): spawned = s
        case .failure(let why): return failed(why.text, started)
        }
        let pid = spawned.pid
        register(pid)
        var stdinFD = spawned.stdin, stdoutFD = spawned.stdout, logFD = spawned.stderr
        var written = 0
        var log = LogCapture()
        var output: [UInt8] = []
        // Only ever read into: left uninitialised (zeroing 64 KiB per run showed in the profile).
        var chunk = [UInt8](unsafeUninitializedCapacity: 65536) { _, count in count = 65536 }
        var exited = false
        var end: ProcessEnd?
        // The exit is one more descriptor to poll: the loop sleeps until something happens
        // (input accepted, the exit, the deadline) instead of waking every few ms.
        let exitFD = shim_pidfd_open(pid)
        defer { if exitFD >= 0 { close(exitFD) } }
        var idleWait = 0.1  // ms between exit checks once stdout is closed
        // Standard output is left in its pipe (room for `spawned.outputRoom` bytes) until the
        // process ends — one wake-up per run instead of one for the answer and one for the exit —
        // unless the process writes more than that room holds: a read that finds the pipe half
        // full or more has stdout polled from then on, so a large answer streams. While it is not
        // polled, a wait is at most `unpolledWaitMS`, so a process blocked on a full pipe waits
        // at most that long once. A pipe the kernel kept small (a user over its pipe-buffer
        // allowance, `pipe-user-pages-soft`, gets one page) is polled from the start.
        var pollOutput = exitFD < 0 || spawned.outputRoom < 65536

        /// Writes what the stdin pipe takes of `input`; closes stdin once all of it is written or
        /// the process stopped reading (EPIPE).
        func feed() {
            let n = input[written...].withUnsafeBytes { write(stdinFD, $0.baseAddress, min($0.count, 65536)) }
            if n > 0 { written += n }
            if written >= input.count || (n < 0 && errno != EAGAIN && errno != EINTR) {
                close(stdinFD); stdinFD = -1
            }
        }
        // The input goes out as soon as the process has started, without a wait for the pipe to
        // have room (it is empty): all of a body within its 64 KiB, then stdin is closed; the rest
        // of a larger one as the process reads. Written before the start instead, no process ever
        // paused for its input, and at c=64 on two cores the latency tail widened (p99 64–79
        // against 50–59 ms written after, six interleaved pairs; the same wake-ups at c=1).
        feed()

        /// Reads what is available; returns false at end of file.
        func drain() -> Bool {
            var got = 0
            defer { if got >= spawned.outputRoom / 2 { pollOutput = true } }
            while true {
                let n = chunk.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
                if n > 0 {
                    output.append(contentsOf: chunk[0..<n])
                    got += n
                    if output.count > maximumOutput { end = .outputTooLarge; return true }
                    continue
                }
                if n == 0 { return false }
                if errno == EINTR { continue }
                return true  // EAGAIN: nothing more for now
            }
        }

        while end == nil {
            let remaining = deadline - Clock.monotonicMS()
            if remaining <= 0 { end = .timedOut; break }
            var fds: [pollfd] = []
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if stdoutFD >= 0 && pollOutput { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            // The log pipe is not polled: its line comes just before the answer, so waking for it
            // would cost a second wake-up per request. It is read at every wake-up instead (the
            // answer, the exit), and a wait is at most 1 s while it is open, so a function that
            // fills the pipe (1 MiB) before it answers is not held up for long.
            var cap = logFD >= 0 ? 1000.0 : 60_000
            if stdoutFD >= 0 && !pollOutput { cap = min(cap, unpolledWaitMS) }
            if exitFD >= 0 {
                fds.append(pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0))
                _ = poll(&fds, nfds_t(fds.count), Int32(max(1, min(remaining, cap))))
            } else if fds.isEmpty {
                Clock.sleep(min(idleWait, remaining) / 1000)
                idleWait = min(idleWait * 2, 5)
            } else {
                _ = poll(&fds, nfds_t(fds.count), Int32(max(1, min(remaining, 10))))
            }
            if stdinFD >= 0 && fds.contains(where: { $0.fd == stdinFD && $0.revents != 0 }) { feed() }
            if stdoutFD >= 0 && !drain() { close(stdoutFD); stdoutFD = -1 }
            if logFD >= 0 && !log.read(logFD) { close(logFD); logFD = -1 }
            if end != nil { break }
            if !exited && hasExited(pid) {
                exited = true
                // A child of the function may still hold stdout open: take what is there and stop.
                if stdoutFD >= 0 { _ = drain() }
                if logFD >= 0 { _ = log.read(logFD) }
                break
            }
        }
        log.flush()
        if logFD >= 0 { close(logFD) }
        // Kill the whole group while the leader is still a zombie (its pid cannot be reused yet):
        // this ends a hung function, or anything it left running.
        kill(-pid, SIGKILL)
        let status = reap(pid)
        if stdinFD >= 0 { close(stdinFD) }
        if stdoutFD >= 0 { close(stdoutFD) }
        if end == nil {
            let signal = status & 0x7f
            end = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        }
        return ProcessResult(
            end: end!, stdout: output, pid: pid, milliseconds: Clock.monotonicMS() - started, log: log.kept)
    }

    /// The longest wait while standard output is left in its pipe (see `run`).
    static let unpolledWaitMS = 50.0
    /// The room asked for in a run's stdout pipe (`F_SETPIPE_SZ`; the kernel may give less):
    /// a function's answer is a few KiB; a larger one streams (see `run`).
    static let outputPipeBytes = Int32(256 << 10)
    /// The room asked for in a captured log pipe, for a chatty function.
    static let logPipeBytes = Int32(1 << 20)

    /// The signals the invoker handles or ignores, back to their defaults in every child.
    private static let resetSignals: [Int32] = [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD]

    /// A started process: its pid (also its process group) and the invoker's ends of its pipes
    /// (non-blocking; `stderr` is -1 unless captured).
    struct Spawned {
        var pid: pid_t
        var stdin: Int32
        var stdout: Int32
        var stderr: Int32
        /// The stdout pipe's capacity with `answerRoom` (see `run`), else 0.
        var outputRoom = 0
    }

    struct SpawnFailure: Error {
        var text: String
    }

    /// Starts `executable` in its own process group with a clean signal state and only fds 0–2
    /// (stdin and stdout pipes; stderr a pipe with `captureLog`, else the invoker's).
    ///
    /// With `answerRoom` (a run of one request), the stdout pipe is given 256 KiB of room (best
    /// effort) for the answer to wait in (see `run`). Without it (a warm worker), the pipes stay as
    /// the kernel made them.
    static func spawn(
        executable: String, arguments: [String], environment: [String: String], captureLog: Bool,
        answerRoom: Bool = false
    ) -> Result<Spawned, SpawnFailure> {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&inPipe) == 0 else { return .failure(SpawnFailure(text: "pipe")) }
        guard pipe(&outPipe) == 0 else {
            close(inPipe[0]); close(inPipe[1]); return .failure(SpawnFailure(text: "pipe"))
        }
        if captureLog && pipe(&errPipe) != 0 {
            for fd in inPipe + outPipe { close(fd) }
            return .failure(SpawnFailure(text: "pipe"))
        }

        var outputRoom = 0
        if answerRoom {
            // F_SETPIPE_SZ answers the room it gave; refused (EPERM), the pipe keeps what it had.
            let given = fcntl(outPipe[0], 1031, outputPipeBytes)
            outputRoom = Int(max(0, given >= 0 ? given : fcntl(outPipe[0], 1032)))
        }

        // shim_spawn: fds 0–2 from the pipes (connections, the listening socket and other
        // requests' pipes do not leak: everything from 3 up is closed), its own process group,
        // the signals the invoker handles or ignores back to their defaults, an empty mask.
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var pid: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                shim_spawn(
                    executable, a.baseAddress!, e.baseAddress!, inPipe[0], outPipe[1],
                    captureLog ? errPipe[1] : -1, resetSignals, Int32(resetSignals.count), &pid)
            }
        }
        for p in argv { free(p) }
        for p in envp { free(p) }
        close(inPipe[0]); close(outPipe[1])
        if captureLog { close(errPipe[1]) }
        if rc != 0 {
            close(inPipe[1]); close(outPipe[0])
            if captureLog { close(errPipe[0]) }
            return .failure(SpawnFailure(text: String(cString: strerror(rc))))
        }

        // A pipe end's only status flag is its access mode, which F_SETFL leaves as it is.
        for fd in [inPipe[1], outPipe[0]] + (captureLog ? [errPipe[0]] : []) { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        // F_SETPIPE_SZ / F_GETPIPE_SZ (1031 / 1032, Linux; not in Swift's Glibc module): room for a
        // chatty function's log, and for an answer to wait in (best effort: the kernel may refuse).
        if captureLog { _ = fcntl(errPipe[0], 1031, logPipeBytes) }
        return .success(
            Spawned(
                pid: pid, stdin: inPipe[1], stdout: outPipe[0], stderr: captureLog ? errPipe[0] : -1,
                outputRoom: outputRoom))
    }

    /// Adds a started process (a run's, or a warm worker that outlives one call) to those `killAll` ends.
    static func register(_ pid: pid_t) { registryLock.withLock { _ = running.insert(pid) } }

    /// Waits for `pid` (already killed or ending) and forgets it; returns its wait status.
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        registryLock.withLock {
            running.remove(pid)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        return status
    }

    /// True once `pid` has ended; it stays a zombie (not reaped) until `waitpid`.
    static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        return rc == 0 && info.si_signo == SIGCHLD
    }

    static func failed(_ why: String, _ started: Double) -> ProcessResult {
        ProcessResult(end: .spawnFailed(why), stdout: [], pid: 0, milliseconds: Clock.monotonicMS() - started)
    }
}
