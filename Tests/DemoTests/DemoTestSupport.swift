import Foundation
import FunctionRuntime
import DemoKit

enum DemoTestSupport {
    /// The repository's functions.json (this file is Tests/DemoTests/DemoTestSupport.swift).
    static var functionsFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("functions.json").path
    }

    /// Options for a stack on free ports, quiet logs, functions from this build.
    static func options(statePath: String? = nil, events: Locked<[String]> = Locked([])) -> DemoStackOptions {
        var o = DemoStackOptions(configPath: functionsFile)
        o.statePath = statePath
        o.accessLog = { events.append($0) }
        o.sandboxLog = { events.append($0) }
        o.processEnvironment = ["PATH": "/usr/bin:/bin"]
        // `INVOKER_MODE=warm ./invoke test` runs the end-to-end suites on warm workers too.
        if let mode = ProcessInfo.processInfo.environment["INVOKER_MODE"] {
            o.processEnvironment["INVOKER_MODE"] = mode
        }
        return o
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "demo-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs `command` with `/bin/sh -c`; returns status and standard output.
    static func shell(_ command: String) throws -> (status: Int32, output: String) {
        try run("/bin/sh", ["-c", command])
    }

    /// Runs an executable to its end (standard error discarded); returns status and standard output.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A GET with no retries.
    static func get(_ url: String) throws -> HTTPResponse {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        return try HTTPClient(deadline: Deadline(seconds: 10), policy: policy).send(HTTPRequest("GET", url))
    }
}
