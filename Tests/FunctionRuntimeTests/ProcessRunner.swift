import TestSupport

/// The runtime tests' spelling of `Exec`: a built executable with exactly `environment` (plus
/// PATH) and `stdin`.
enum ProcessRunner {
    static func run(
        _ name: String, arguments: [String] = [], environment: [String: String] = [:], stdin: String = ""
    ) throws -> Exec.Output {
        try Exec.run(name, arguments, env: environment, stdin: stdin)
    }

    static func run(
        _ name: String, arguments: [String] = [], environment: [String: String] = [:], stdinBytes: [UInt8]
    ) throws -> Exec.Output {
        try Exec.run(name, arguments, env: environment, stdinBytes: stdinBytes)
    }
}
