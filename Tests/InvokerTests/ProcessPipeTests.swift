import FoundationEssentials
import InvokerKit
import Testing

/// A run's input is written into the stdin pipe before the process starts, as far as it fits,
/// and its answer waits in the stdout pipe until it ends: neither may lose, hold back or
/// deadlock on what does not fit.
@Suite struct ProcessPipeTests {
    static func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) } }

    @Test func anEmptyInputIsAnImmediateEndOfFile() {
        let r = FunctionProcess.run(executable: "/bin/cat", arguments: [], environment: [:], input: [], timeoutMS: 5000)
        #expect(r.end == .exited(0))
        #expect(r.stdout.isEmpty)
    }

    @Test(arguments: [100, 65536, 3 << 20])
    func anInputOfAnySizeArrivesWhole(size: Int) {
        let input = Self.bytes(size)
        let r = FunctionProcess.run(
            executable: "/bin/cat", arguments: [], environment: [:], input: input, timeoutMS: 10_000)
        #expect(r.end == .exited(0))
        #expect(r.stdout.count == size)
        #expect(r.stdout == input)
    }

    @Test func anAnswerLargerThanItsPipeArrivesWhole() {
        let r = FunctionProcess.run(
            executable: "/bin/sh", arguments: ["-c", "head -c 5000000 /dev/zero; echo end"],
            environment: ["PATH": "/usr/bin:/bin"], input: [], timeoutMS: 10_000)
        #expect(r.end == .exited(0))
        #expect(r.stdout.count == 5_000_004)
        #expect(r.stdout.suffix(4) == Array("end\n".utf8))
    }

    @Test func aProcessThatNeverReadsItsInputStillEnds() {
        let r = FunctionProcess.run(
            executable: "/bin/sh", arguments: ["-c", "echo done"], environment: ["PATH": "/usr/bin:/bin"],
            input: Self.bytes(3 << 20), timeoutMS: 10_000)
        #expect(r.end == .exited(0))
        #expect(r.stdout == Array("done\n".utf8))
    }
}
