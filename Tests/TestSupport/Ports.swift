import HTTPServer

/// Loopback ports for the tests' own servers.
public enum Ports {
    /// A free TCP port on loopback (bound, then released).
    public static func free() throws -> Int {
        let probe = HTTPServer(limits: ServerLimits()) { _ in .respond(.json(200, [:])) }
        try probe.start(host: "127.0.0.1", port: 0)
        let port = probe.port
        _ = probe.stop(deadline: 1)
        return port
    }
}
