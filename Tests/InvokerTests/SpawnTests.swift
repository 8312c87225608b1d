import Foundation
import InvokerKit
import Testing

/// What a started function inherits from the invoker (`shim_spawn`): fds 0–2 only, the signals
/// the invoker ignores back to their defaults, nothing blocked; a start that cannot exec fails.
@Suite struct SpawnTests {
    @Test func theChildHasOnlyItsThreeFdsAndACleanSignalState() {
        signal(SIGPIPE, SIG_IGN)  // as the invoker runs
        let extra = open("/dev/null", O_RDONLY)  // an fd of this process (≥ 3) that must not leak
        defer { close(extra) }
        var usr1 = sigset_t(), saved = sigset_t()
        sigemptyset(&usr1)
        sigaddset(&usr1, SIGUSR1)
        pthread_sigmask(SIG_BLOCK, &usr1, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        #expect(extra >= 3)
        // The fds as the shell sees them (`ls` is its child); the signal state as a program that
        // never touches it sees it: grep, started directly (dash clears its blocked mask at start,
        // and blocks every signal around each fork, so a shell can neither show nor hide it).
        let shell = FunctionProcess.run(
            executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"], environment: ["PATH": "/usr/bin:/bin"],
            input: [], timeoutMS: 5000)
        #expect(shell.end == .exited(0))
        let fds = String(decoding: shell.stdout, as: UTF8.self).split(separator: "\n")
        #expect(fds == ["0", "1", "2"], "only fds 0-2: \(fds)")
        let result = FunctionProcess.run(
            executable: "/bin/grep", arguments: ["-E", "^Sig(Blk|Ign)", "/proc/self/status"], environment: [:],
            input: [], timeoutMS: 5000)
        #expect(result.end == .exited(0))
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.contains("SigBlk:\t0000000000000000"), "\(lines)")
        // Ignored dispositions survive exec; SIGPIPE's (bit SIGPIPE - 1) must be back to its default.
        let ignored = lines.first { $0.hasPrefix("SigIgn:\t") }.flatMap { UInt64($0.dropFirst(8), radix: 16) }
        #expect(ignored.map { $0 & (1 << UInt64(SIGPIPE - 1)) == 0 } == true)
    }

    @Test func aFileThatCannotBeExecutedFailsTheStart() {
        let result = FunctionProcess.run(
            executable: "/nonexistent/function", arguments: [], environment: [:], input: [], timeoutMS: 5000)
        #expect(result.end == .spawnFailed(String(cString: strerror(ENOENT))))
    }
}
