import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// `--worker`: a warm worker of the invoker. The process stays up and runs one request after
/// another, each exactly as a fresh process would run it, fed over its standard input and
/// answered on its standard output in frames:
///
/// - request: one JSON line `{"env": {NAME: value, …}, "input": N}`, then N bytes —
///   the environment and standard input the request's own process would have had (CGI
///   meta-variables and body, or a pipeline stage's input);
/// - answer: one JSON line `{"exit": S, "output": N}`, then N bytes — what that process would have
///   written to standard output and the status it would have exited with.
///
/// Between requests nothing of one is visible to the next: the process environment is replaced by
/// the request's (variables it lacks unset, the others set), and every request gets a fresh context
/// (configuration, log line, deadline, plan). What is kept is what a process keeps anyway: the
/// loaded libraries and the connections to the services (one `HTTPTransport`). Log lines go to
/// standard error as always, written before the answer frame. End of input ends the worker
/// (exit 0) only between frames; a frame it cannot read, or one cut short, ends it with 64.
public enum WorkerLoop {
    public static let flag = "--worker"

    public static func run(_ definition: FunctionDefinition, arguments: [String]) -> Int32 {
        var reader = FrameReader(fd: 0)
        let transport = HTTPTransport()
        while true {
            guard let line = reader.line() else { return 0 }
            guard let header = try? JSON.parse(line), let env = header["env"].object,
                let length = header["input"].int, length >= 0
            else {
                StandardStreams.writeError("\(definition.name): worker: unreadable request frame\n")
                return RuntimeError.Code.usage.exitStatus
            }
            guard let input = reader.bytes(Int(length)) else {
                // The input ended inside a frame: that request was never run; say so (never 0).
                StandardStreams.writeError("\(definition.name): worker: request frame cut short\n")
                return RuntimeError.Code.usage.exitStatus
            }
            var environment: [String: String] = [:]
            for (k, v) in env { if let s = v.string { environment[k] = s } }
            replaceProcessEnvironment(environment)
            var output: [UInt8] = []
            var offset = 0
            let io = RunIO(
                read: { limit in
                    let end = min(input.count, limit.map { offset + $0 } ?? input.count)
                    defer { offset = end }
                    return Array(input[offset..<end])
                }, write: { output += $0 })
            let status = FunctionRunner.run(
                definition, arguments: arguments, environment: environment, io: io, transport: transport)
            let answer: JSON = ["exit": .int(Int64(status)), "output": .int(Int64(output.count))]
            StandardStreams.write(answer.serializedBytes() + [0x0A] + output)
        }
    }

    /// Makes `environment` the whole process environment (for code that reads `getenv`, the loaded
    /// libraries' included — see `LoadedLibraries`): the variables it lacks are unset, the others
    /// set. Not `clearenv`: it frees the array a library may still be reading (the workers crashed
    /// on their second request with it).
    static func replaceProcessEnvironment(_ environment: [String: String]) {
        for (name, _) in Config.processEnvironment() where environment[name] == nil { unsetenv(name) }
        for (k, v) in environment where getenv(k).map({ String(cString: $0) }) != v { setenv(k, v, 1) }
    }
}

/// Reads lines and counted bytes from a file descriptor, buffered.
struct FrameReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// What one `read` reads into, allocated once (not zeroed anew for each read).
    private var chunk = [UInt8](repeating: 0, count: 65536)

    init(fd: Int32) { self.fd = fd }

    /// Reads more; false at end of input.
    private mutating func fill() -> Bool {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
            if n < 0 && errno == EINTR { continue }
            return false
        }
    }

    /// The next line without its newline; nil at end of input.
    mutating func line() -> [UInt8]? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                return line
            }
            guard fill() else { return nil }
        }
    }

    /// Exactly `count` bytes; nil when the input ends first.
    mutating func bytes(_ count: Int) -> [UInt8]? {
        while buffer.count - start < count {
            guard fill() else { return nil }
        }
        let out = Array(buffer[start..<(start + count)])
        start += count
        return out
    }
}
