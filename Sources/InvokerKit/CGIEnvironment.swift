import FunctionRuntime
import HTTPServer

/// The environment a function process starts with.
///
/// Nothing of the invoker's own environment passes except an allowlist (`PATH`, `LANG`, `TZ`,
/// `HOME`, the bundle's configuration variables and their `*_FILE` forms); then the configured
/// `env`; then, for a stage that receives the HTTP request, the RFC 3875 meta-variables.
public enum CGIEnvironment {
    /// Variables passed through by exact name (each also as `NAME_FILE`).
    public static let allowedNames: Set<String> = [
        "PATH", "LANG", "TZ", "HOME", "PUBLIC_URL", "ALLOW_UNSIGNED", "FUNCTION_BUDGET_MS",
    ]
    /// Variables passed through by prefix (this covers their `*_FILE` forms).
    public static let allowedPrefixes = ["ZENDESK_", "KLAVIYO_", "TWILIO_", "SURVEY_", "SMS_"]

    /// The meta-variables the invoker sets per request (besides `HTTP_*`).
    public static let metaVariables: Set<String> = [
        "GATEWAY_INTERFACE", "SERVER_SOFTWARE", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
        "REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME", "SCRIPT_FILENAME", "PATH_INFO", "QUERY_STRING",
        "CONTENT_LENGTH", "CONTENT_TYPE", "REMOTE_ADDR", "REMOTE_PORT",
    ]

    public static let serverSoftware = "invoker/1"

    /// True when `name` from the invoker's environment may reach a function.
    public static func isAllowed(_ name: String) -> Bool {
        if allowedNames.contains(name) { return true }
        if name.hasSuffix("_FILE"), allowedNames.contains(String(name.dropLast(5))) { return true }
        return allowedPrefixes.contains { name.hasPrefix($0) && name.count > $0.count }
    }

    /// The allowed part of `environment`.
    public static func base(_ environment: [String: String]) -> [String: String] {
        environment.filter { isAllowed($0.key) }
    }

    /// Where the request arrived (for `SERVER_NAME`/`SERVER_PORT`).
    public struct ServerInfo: Sendable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) { self.host = host; self.port = port }
    }

    /// The RFC 3875 meta-variables for `request` on `route`, served by `executable`:
    /// `SCRIPT_NAME` is the route path and `PATH_INFO` empty (routes match exactly), `REQUEST_URI`
    /// the target as sent, headers as `HTTP_*` with repeated ones merged by ", ".
    public static func metaVariables(
        for request: ServerRequest, route: Route, executable: String, server: ServerInfo
    ) -> [String: String] {
        var env: [String: String] = [
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_SOFTWARE": serverSoftware,
            "SERVER_PROTOCOL": request.version,
            "SERVER_PORT": String(server.port),
            "REQUEST_METHOD": request.method,
            "REQUEST_URI": request.target,
            "SCRIPT_NAME": route.path,
            "SCRIPT_FILENAME": executable,
            "PATH_INFO": "",
            "QUERY_STRING": request.query,
            "REMOTE_ADDR": request.remoteAddress,
            "REMOTE_PORT": String(request.remotePort),
        ]
        env["SERVER_NAME"] = serverName(request.header("host"), fallback: server.host)
        if !request.body.isEmpty || request.header("content-length") != nil {
            env["CONTENT_LENGTH"] = String(request.body.count)
        }
        if let type = request.header("content-type") { env["CONTENT_TYPE"] = type }
        for (name, value) in headerVariables(request.headerList) { env[name] = value }
        return env
    }

    /// `HTTP_*` variables for the headers: upper case, `-` → `_`, repeated headers merged with ", "
    /// in arrival order. Left out: `Content-Type` and `Content-Length` (they have their own
    /// variables), `Proxy` (httpoxy: it would become `HTTP_PROXY`, which HTTP clients honour as a
    /// proxy setting), and names with anything but letters, digits and `-` (a `_` could pose as
    /// another header once `-` becomes `_`).
    public static func headerVariables(_ headers: [(String, String)]) -> [(String, String)] {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower == "content-type" || lower == "content-length" || lower == "proxy" { continue }
            guard !name.isEmpty, name.utf8.allSatisfy(isNameByte) else { continue }
            let variable =
                "HTTP_"
                + String(
                    decoding: name.utf8.map { $0 == 0x2D ? 0x5F : ($0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0) },
                    as: UTF8.self)
            if values[variable] == nil { order.append(variable) }
            values[variable, default: []].append(value)
        }
        return order.map { ($0, values[$0]!.joined(separator: ", ")) }
    }

    /// Letters, digits and `-`: the header names that map to a variable name one to one.
    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
    }

    /// The host part of a `Host` header (`example.com:8080` → `example.com`, `[::1]:80` → `[::1]`).
    static func serverName(_ host: String?, fallback: String) -> String {
        guard let host = host?.trimmed(), !host.isEmpty else { return fallback }
        if host.hasPrefix("[") { return host.firstIndex(of: "]").map { String(host[...$0]) } ?? fallback }
        return String(host.split(separator: ":", maxSplits: 1).first ?? Substring(fallback))
    }
}
