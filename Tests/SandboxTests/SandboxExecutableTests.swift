import Foundation
import FunctionRuntime
import SandboxKit
import Testing

/// The `sandbox` executable: `PORT=` first, seed and state files, clean exit on SIGTERM.
@Suite struct SandboxExecutableTests {
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("sandbox").path
    }

    /// Reads stdout until the first line is complete.
    static func firstLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while !bytes.contains(0x0A) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
    }

    @Test func printsThePortFirstServesTheSeedAndStopsCleanlyOnSIGTERM() throws {
        let dir = NSTemporaryDirectory() + "sandbox-exe-\(getpid())-\(EmulatorSupport.randomHex(4))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let seed = dir + "/seed.json", state = dir + "/state.json"
        let seedDocument: JSON = ["twilio": ["numbers": ["+15559870000"]]]
        try Data(seedDocument.serializedBytes()).write(to: URL(fileURLWithPath: seed))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--port", "0", "--seed", seed, "--state", state]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let line = Self.firstLine(out.fileHandleForReading)
        #expect(line.hasPrefix("PORT="))
        let port = Int(line.dropFirst(5)) ?? 0
        #expect(port > 0)
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        let client = HTTPClient(deadline: Deadline(seconds: 5), policy: policy)
        let stateReply = try client.send(HTTPRequest("GET", "http://127.0.0.1:\(port)/_ctl/state"))
        #expect(stateReply.json["twilio"]["numbers"] == ["+15559870000"])
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let saved = (try? FileBytes.read(state).get()).flatMap { try? JSON.parse($0) }
        #expect(saved?.at("services.twilio.numbers") == ["+15559870000"])
    }

    @Test func refusesUnknownArguments() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--colour", "blue"]
        process.standardOutput = Pipe()
        let err = Pipe()
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 64)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("usage: sandbox"))
    }
}
