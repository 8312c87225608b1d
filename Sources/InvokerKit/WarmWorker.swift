import FoundationEssentials
import CShims
import FunctionRuntime
#if canImport(Glibc)
import Glibc
#endif

/// One long-lived `--worker` process of a function (see `WorkerLoop` for the frames), in its own
/// process group, its standard error a pipe whose lines are forwarded and kept per request.
/// Used by one request at a time.
final class WarmWorker: @unchecked Sendable {
    let pid: pid_t
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private let exitFD: Int32
    /// Requests answered so far.
    private(set) var served = 0
    /// When it last finished a request (monotonic ms).
    private(set) var idleSince = Clock.monotonicMS()
    private(set) var isDead = false
    /// The buffer answers are read into, one per worker (it serves one request at a time).
    private var chunk = [UInt8](repeating: 0, count: 65536)

    /// Starts a worker of `spec` (`--worker` before its own arguments) with `environment`.
    static func start(
        _ spec: FunctionSpec, environment: [String: String]
    ) -> Result<WarmWorker, FunctionProcess.SpawnFailure> {
        FunctionProcess.spawn(
            executable: spec.path, arguments: [WorkerLoop.flag] + spec.args, environment: environment, captureLog: true
        ).map { WarmWorker($0) }
    }

    private init(_ s: FunctionProcess.Spawned) {
        pid = s.pid
        stdinFD = s.stdin
        stdoutFD = s.stdout
        stderrFD = s.stderr
        exitFD = shim_pidfd_open(s.pid)
        FunctionProcess.register(pid)
    }

    /// True when the process has ended (killed while idle, crashed) without being reaped yet.
    var hasExited: Bool { isDead || FunctionProcess.hasExited(pid) }

    /// Resident memory in bytes (`/proc/PID/statm`, its second field in pages), 0 when unreadable.
    var residentBytes: Int {
        guard let f = fopen("/proc/\(pid)/statm", "r") else { return 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, 128, f) != nil else { return 0 }
        let parts = String(cBuffer: line).split(separator: " ")
        guard parts.count >= 2, let pages = Int(parts[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Runs one request: sends its frame, reads the answer frame (and the log lines written
    /// before it) within `timeoutMS`. A worker that runs out of time is killed (`.timedOut`); one
    /// that dies or breaks the protocol mid-request is `.workerLost`. Either way it is dead after.
    func exchange(environment: [String: String], input: [UInt8], timeoutMS: Int) -> ProcessResult {
        let started = Clock.monotonicMS()
        let deadline = started + Double(timeoutMS)
        var env: [String: JSON] = [:]
        for (k, v) in environment { env[k] = .string(v) }
        let header: JSON = ["env": .object(env), "input": .int(Int64(input.count))]
        let frame = header.serializedBytes() + [0x0A] + input
        var written = 0
        var answer: [UInt8] = []
        var log = LogCapture()
        func result(_ end: ProcessEnd, _ stdout: [UInt8] = []) -> ProcessResult {
            log.flush()
            return ProcessResult(
                end: end, stdout: stdout, pid: pid, milliseconds: Clock.monotonicMS() - started, log: log.kept)
        }
        /// The answer once it is complete (`{"exit":S,"output":N}\n` then N bytes), or the end a
        /// broken one means; nil while it is still coming.
        func answered() -> ProcessResult? {
            guard let nl = answer.firstIndex(of: 0x0A) else { return nil }
            guard let head = try? JSON.parse(answer[..<nl]), let status = head["exit"].int,
                let length = head["output"].int, length >= 0
            else {
                kill()
                return result(.workerLost("unreadable answer frame"))
            }
            if length > FunctionProcess.maximumOutput {
                kill()
                return result(.outputTooLarge)
            }
            let body = answer.index(after: nl)
            guard answer.count - body >= Int(length) else { return nil }
            guard answer.count - body == Int(length) else {
                kill()
                return result(.workerLost("bytes after the answer frame"))
            }
            _ = log.read(stderrFD)  // the lines written before the answer are in the pipe
            served += 1
            idleSince = Clock.monotonicMS()
            return result(.exited(Int32(truncatingIfNeeded: status)), Array(answer[body...]))
        }
        /// Writes what the pipe takes of the frame; false when the worker stopped reading.
        func send() -> Bool {
            let n = frame[written...].withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, min($0.count, 65536)) }
            if n > 0 { written += n }
            return n >= 0 || errno == EAGAIN || errno == EINTR
        }
        // The frame goes out at once (the pipe is empty between requests, so a frame within
        // 64 KiB fits); the loop then sleeps until the answer, the exit or the deadline.
        if !send() {
            kill()
            return result(.workerLost("worker stopped reading (\(String(cString: strerror(errno))))"))
        }
        while true {
            if let done = answered() { return done }
            let remaining = deadline - Clock.monotonicMS()
            if remaining <= 0 {
                kill()
                return result(.timedOut)
            }
            var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)]
            if written < frame.count { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if exitFD >= 0 { fds.append(pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0)) }
            // As in fork mode the log pipe is read at each wake-up, not polled.
            _ = poll(&fds, nfds_t(fds.count), Int32(max(1, min(remaining, exitFD >= 0 ? 1000 : 10))))
            if written < frame.count && !send() {
                kill()
                return result(.workerLost("worker stopped reading (\(String(cString: strerror(errno))))"))
            }
            // With a pidfd its readiness says whether the worker ended; without one, ask.
            let ended = exitFD >= 0 ? fds.last!.revents != 0 : FunctionProcess.hasExited(pid)
            var closed = false
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(stdoutFD, $0.baseAddress, $0.count) }
                if n > 0 {
                    answer.append(contentsOf: chunk[0..<n])
                    if answer.count > FunctionProcess.maximumOutput + 4096 {
                        kill()
                        return result(.outputTooLarge)
                    }
                    continue
                }
                if n == 0 { closed = true }
                if n < 0 && errno == EINTR { continue }
                break
            }
            _ = log.read(stderrFD)
            if closed || ended {
                if let done = answered() { return done }  // it answered, then ended
                // A handler that called exit(N) with N > 0 ends as its own process would have:
                // exit N, no output (an error answer). Status 0 without an answer frame is not a
                // success: the worker never finished the request (it read a cut frame, or ended
                // before running it), and a bare 0 would read as "filtered" — a webhook answered
                // 200 and lost. That, and a signal (a crash, a kill -9), loses the request: the
                // sender retries.
                let status = reap()
                if status & 0x7f != 0 {
                    return result(.workerLost("worker ended mid-request (signal \(status & 0x7f))"))
                }
                let code = (status >> 8) & 0xff
                if code == 0 { return result(.workerLost("worker ended mid-request without an answer (exit 0)")) }
                return result(.exited(code))
            }
        }
    }

    /// Ends the worker: its whole process group is killed and the process reaped.
    func kill() {
        guard !isDead else { return }
        reap()
    }

    /// Asks an idle worker to finish (end of input), then makes sure it did.
    func retire() {
        guard !isDead else { return }
        close(stdinFD)
        stdinFD = -1
        var waited = 0.0
        while !FunctionProcess.hasExited(pid) && waited < 200 {
            Clock.sleep(0.005)
            waited += 5
        }
        kill()
    }

    /// Reaps the process (after killing its group) and closes the pipes; returns its wait status.
    @discardableResult
    private func reap() -> Int32 {
        Glibc.kill(-pid, SIGKILL)
        let status = FunctionProcess.reap(pid)
        isDead = true
        for fd in [stdinFD, stdoutFD, stderrFD, exitFD] where fd >= 0 { close(fd) }
        stdinFD = -1
        stdoutFD = -1
        stderrFD = -1
        return status
    }
}
