import Foundation
import Testing
import FunctionRuntime
import DemoKit

/// The `bundle-demo` executable as `./invoke serve` and `./invoke demo` run it.
@Suite struct ExecutableTests {
    static var binary: String { DemoStackOptions.executableDirectory + "/bundle-demo" }

    @Test func demoPassesAndPrintsATranscript() throws {
        let (status, text) = try DemoTestSupport.run(
            Self.binary, ["demo", "--config", DemoTestSupport.functionsFile],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(status == 0, "\(text)")
        for needle in ["1. ", "2. ", "3. ", "4. ", "Demo passed"] { #expect(text.contains(needle), "\(text)") }
        // The transcript names no customer phone number or email.
        #expect(!text.contains(DemoAccount.customerPhone))
        #expect(!text.contains(DemoAccount.customerEmail))
    }

    @Test func serveAnswersHealthzAndStopsOnSIGTERM() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["serve", "--port", "0", "--no-state", "--config", DemoTestSupport.functionsFile]
        p.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate(); p.waitUntilExit() } }
        let handle = out.fileHandleForReading
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !seen.contains("Ctrl-C") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let invokerLine = try #require(seen.split(separator: "\n").first { $0.contains("invoker  http://") }, "\(seen)")
        let url = try #require(invokerLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        let health = try DemoTestSupport.get(url + "/healthz")
        #expect(health.status == 200)
        #expect(health.json["status"] == "ok")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 0)
    }

    @Test func unknownCommandIsAUsageError() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["bogus"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 64)
    }
}
