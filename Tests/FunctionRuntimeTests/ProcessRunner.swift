import Foundation

/// Runs a built executable of this package with a given environment and standard input.
struct ProcessRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The directory holding the package's built executables (beside the test bundle).
    static var buildDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static func executable(_ name: String) -> String { buildDirectory.appendingPathComponent(name).path }

    /// Runs `name` with exactly `environment` (plus PATH), feeding `stdin`.
    static func run(_ name: String, arguments: [String] = [], environment: [String: String] = [:], stdin: String = "") throws -> Result {
        try run(name, arguments: arguments, environment: environment, stdinBytes: Array(stdin.utf8))
    }

    static func run(_ name: String, arguments: [String] = [], environment: [String: String] = [:], stdinBytes: [UInt8]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable(name))
        process.arguments = arguments
        var env = environment
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        process.environment = env
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdinBytes))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}
