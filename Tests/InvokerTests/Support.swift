import FoundationEssentials
import FunctionRuntime
import HTTPServer
import InvokerKit
#if canImport(Glibc)
import Glibc
#endif

/// The directory holding the built executables (the test bundle lives beside them).
let productsDirectory: String = InvokerCommand.executableDirectory()

/// A fresh temporary directory, removed by `remove()`.
struct TempDir {
    let path: String

    init() {
        var template = Array("/tmp/invoker-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t = 0o644) -> String {
        let file = path + "/" + name
        let f = fopen(file, "w")!
        fputs(text, f)
        fclose(f)
        chmod(file, mode)
        return file
    }

    func read(_ name: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path + "/" + name) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A parsed HTTP response as a test client saw it.
struct TestResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers.last { $0.0.lowercased() == name.lowercased() }?.1 }
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSON { (try? JSON.parse(body)) ?? .null }
}

enum TestClientError: Error { case connect(Int32), closed, timeout, malformed(String) }

/// A raw HTTP/1.1 client connection, so tests control exactly what is sent and when.
final class TestConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 { let e = errno; close(fd); throw TestClientError.connect(e) }
    }

    deinit { close(fd) }

    /// Sends every byte (blocking, as most HTTP clients do before they read); false when the
    /// peer closed or reset the connection first.
    @discardableResult func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    @discardableResult func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Sends one request with `Content-Length` and the given headers.
    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        send(Array((head + "\r\n").utf8) + body)
    }

    /// Reads more bytes; false when the peer closed (or reset) the connection.
    private func fill(timeout: Double) throws -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let rc = poll(&p, 1, Int32(timeout * 1000))
        if rc == 0 { throw TestClientError.timeout }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads one response (Content-Length framed).
    func readResponse(timeout: Double = 20) throws -> TestResponse {
        let deadline = Clock.monotonicMS() + timeout * 1000
        func remaining() -> Double { max(0.001, (deadline - Clock.monotonicMS()) / 1000) }
        var headEnd: Int?
        while headEnd == nil {
            if let i = find([13, 10, 13, 10]) { headEnd = i; break }
            if !(try fill(timeout: remaining())) { throw TestClientError.closed }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeSubrange(0..<(headEnd! + 4))
        var lines = head.split(separator: "\r\n").map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestClientError.malformed(head) }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let c = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<c]), line[line.index(after: c)...].trimmed())
        }
        let length = Int(headers.last { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        while buffer.count < length { if !(try fill(timeout: remaining())) { throw TestClientError.closed } }
        let body = Array(buffer[0..<length])
        buffer.removeSubrange(0..<length)
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// True when the server closes the connection within `timeout` seconds (any bytes sent
    /// before the close are kept for `readResponse`).
    func closedByPeer(within timeout: Double) -> Bool {
        let deadline = Clock.monotonicMS() + timeout * 1000
        while Clock.monotonicMS() < deadline {
            do { if !(try fill(timeout: max(0.001, (deadline - Clock.monotonicMS()) / 1000))) { return true } } catch {
                return false
            }
        }
        return false
    }

    /// The bytes received but not yet read as a response.
    var pending: String { String(decoding: buffer, as: UTF8.self) }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where Array(buffer[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

/// One request on a fresh connection.
func send(
    _ method: String, _ target: String, port: Int, headers: [(String, String)] = [], body: [UInt8] = [],
    timeout: Double = 20
) throws -> TestResponse {
    let c = try TestConnection(port: port)
    c.request(method, target, headers: headers + [("Connection", "close")], body: body)
    return try c.readResponse(timeout: timeout)
}

/// POSTs a JSON event.
func post(
    _ path: String, _ event: JSON, port: Int, headers: [(String, String)] = [], timeout: Double = 20
) throws -> TestResponse {
    try send(
        "POST", path, port: port, headers: [("Content-Type", "application/json")] + headers,
        body: event.serializedBytes(), timeout: timeout)
}

/// An invoker running inside the test process on a free port, with its access log captured.
final class TestInvoker: @unchecked Sendable {
    let invoker: Invoker
    let server: HTTPServer
    private let log: LineBox

    var port: Int { server.port }

    /// - Parameters:
    ///   - config: the functions.json text; executables are looked up in the products directory.
    ///   - environment: the invoker's environment (only its allowlisted part reaches functions).
    init(_ config: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"], state: InvokerState? = nil) throws
    {
        let file = try FunctionsFile.parse(Array(config.utf8), functionsDirectory: productsDirectory)
        let box = LineBox()
        invoker = Invoker(
            file: file, environment: environment,
            accessLog: AccessLog(
                redactor: Redactor(secrets: Config(environment: environment).secrets), write: { box.append($0) }),
            state: state)
        server = try invoker.start(host: "127.0.0.1", port: 0)
        log = box
    }

    /// Access-log lines written so far, parsed.
    var accessLog: [JSON] { log.lines.compactMap { try? JSON.parse($0) } }
    var rawAccessLog: String { log.lines.joined() }

    func stop() {
        server.stop(deadline: 5)
        invoker.stopSpool()
        invoker.closeWorkers()
    }
}

final class LineBox: @unchecked Sendable {
    private let lock = Lock()
    private var stored: [String] = []
    func append(_ s: String) { lock.withLock { stored.append(s) } }
    var lines: [String] { lock.withLock { stored } }
}

/// A child process started with `posix_spawn`, its stderr captured through a pipe.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let stderrFD: Int32
    private var stderrBytes: [UInt8] = []
    private var reaped: Int32?

    init(
        _ path: String, _ arguments: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin"],
        extraFD: (fd: Int32, as: Int32)? = nil
    ) throws {
        var errPipe: [Int32] = [-1, -1]
        pipe(&errPipe)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, errPipe[0])
        if let extra = extraFD { posix_spawn_file_actions_adddup2(&actions, extra.fd, extra.as) }
        _ = testSpawnActionsAddCloseFrom(&actions, extraFD.map { $0.as + 1 } ?? 3)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        for p in argv { free(p) }
        for p in envp { free(p) }
        posix_spawn_file_actions_destroy(&actions)
        close(errPipe[1])
        guard rc == 0 else { close(errPipe[0]); throw TestClientError.connect(rc) }
        self.pid = pid
        stderrFD = errPipe[0]
        _ = fcntl(stderrFD, F_SETFL, fcntl(stderrFD, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        if reaped == nil { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) }
        close(stderrFD)
    }

    /// Everything written to stderr so far.
    var stderr: String {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            stderrBytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: stderrBytes, as: UTF8.self)
    }

    /// Waits until stderr contains `text`; false on timeout or exit.
    func waitForStderr(_ text: String, timeout: Double = 20) -> Bool {
        let deadline = Clock.monotonicMS() + timeout * 1000
        while Clock.monotonicMS() < deadline {
            if stderr.contains(text) { return true }
            var p = pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 20)
        }
        return stderr.contains(text)
    }

    /// Waits for the exit status (nil on timeout; a signal death reports 128 + signal).
    func waitForExit(timeout: Double = 20) -> Int32? {
        if let reaped { return reaped }
        let deadline = Clock.monotonicMS() + timeout * 1000
        while Clock.monotonicMS() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                _ = stderr
                return reaped
            }
            Clock.sleep(0.01)
        }
        return nil
    }
}

/// Starts `invoker --serve` on a free port; returns the process and its port.
func startInvokerProcess(
    config: String, in dir: TempDir, environment: [String: String] = ["PATH": "/usr/bin:/bin"],
    arguments: [String] = []
) throws -> (ChildProcess, Int) {
    let file = dir.write("functions.json", config)
    let child = try ChildProcess(
        productsDirectory + "/invoker",
        ["--serve", "--config", file, "--port", "0", "--functions-dir", productsDirectory] + arguments,
        environment: environment)
    guard child.waitForStderr("listening on http://127.0.0.1:") else {
        throw TestClientError.malformed("invoker did not start: \(child.stderr)")
    }
    let text = child.stderr
    let after = text[text.firstRange(of: "listening on http://127.0.0.1:")!.upperBound...]
    let port = Int(after.prefix { $0.isNumber })!
    return (child, port)
}

/// The state letter (R, S, Z, …) of every process in process group `pgid`, from /proc.
func processGroupMembers(_ pgid: Int32) -> [(pid: Int32, state: String)] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    var members: [(Int32, String)] = []
    for entry in entries {
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/stat") else {
            continue
        }
        let text = String(decoding: data, as: UTF8.self)
        // pid (comm) state ppid pgrp …; comm may contain spaces, so split after the last ')'.
        guard let close = text.lastIndex(of: ")") else { continue }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let pgrp = Int32(fields[2]), pgrp == pgid else { continue }
        members.append((pid, String(fields[0])))
    }
    return members
}

/// Members of the group that are still running (not zombies).
func liveMembers(_ pgid: Int32) -> [Int32] {
    processGroupMembers(pgid).filter { $0.state != "Z" && $0.state != "X" }.map(\.pid)
}

/// Waits until `condition` holds or `timeout` seconds pass; returns the final value.
func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Clock.monotonicMS() + timeout * 1000
    while Clock.monotonicMS() < deadline {
        if condition() { return true }
        Clock.sleep(0.02)
    }
    return condition()
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (not declared by Swift's Glibc module):
/// children of the tests must not inherit other tests' sockets.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
func testSpawnActionsAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
