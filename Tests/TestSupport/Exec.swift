import Foundation
import BundleCore

/// A built executable of this package run as a child process.
public enum Exec {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Each stdout line parsed as JSON.
        public var lines: [JSON] { stdout.split(separator: "\n").compactMap { try? JSON.parse(String($0)) } }
        public var json: JSON { lines.last ?? .null }
    }

    /// Where `swift build` put the executables: beside the test bundle.
    public static var directory: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// Runs `name` with exactly `env` (plus PATH), feeding `stdin`.
    public static func run(
        _ name: String, _ arguments: [String] = [], env: [String: String], stdin: String
    ) throws -> Output {
        try run(name, arguments, env: env, stdinBytes: Array(stdin.utf8))
    }

    public static func run(
        _ name: String, _ arguments: [String] = [], env: [String: String], stdinBytes: [UInt8]
    ) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path(name))
        p.arguments = arguments
        p.environment = env.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(stdinBytes))
        try inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so neither can fill up and block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let err = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            err.data = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = err.data
        p.waitUntilExit()
        return Output(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
