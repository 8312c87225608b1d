/// Starts a function for one stage of one request and collects what it wrote.
///
/// The invoker only talks to this protocol: today every request spawns a fresh process
/// (`SpawnLauncher`); a warm-worker launcher that feeds requests to long-lived `--stream`
/// processes can take its place without touching routing, limits or response mapping.
public protocol FunctionLauncher: Sendable {
    func run(_ function: FunctionSpec, environment: [String: String], input: [UInt8], timeoutMS: Int) -> ProcessResult
}

/// One process per invocation (`posix_spawn`, own process group).
public struct SpawnLauncher: FunctionLauncher {
    public init() {}

    public func run(
        _ function: FunctionSpec, environment: [String: String], input: [UInt8], timeoutMS: Int
    ) -> ProcessResult {
        FunctionProcess.run(
            executable: function.path, arguments: function.args, environment: environment,
            input: input, timeoutMS: timeoutMS)
    }
}
