import FunctionRuntime
import HTTPServer

/// Reading a function's CGI response (RFC 3875 §6): a header block, an empty line, the body.
public enum CGIResponse {
    /// Headers a function may not set on the client connection (the server owns them).
    static let serverOwned: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "date", "upgrade",
    ]

    /// The response described by `output`, nil when it is not a CGI response (no header block,
    /// a malformed line or status). `Status:` sets the status; without it a `Location:` means 302
    /// and anything else 200. Lines may end in CRLF or LF.
    public static func parse(_ output: [UInt8]) -> ServerResponse? {
        var headers: [(String, String)] = []
        var status: Int?
        var lineStart = 0
        var i = 0
        while i < output.count {
            guard output[i] == 0x0A else { i += 1; continue }
            var lineEnd = i
            if lineEnd > lineStart && output[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if lineEnd == lineStart {
                guard !headers.isEmpty || status != nil else { return nil }
                let body = Array(output[(i + 1)...])
                var response = ServerResponse(
                    status: status ?? (headers.contains { $0.0.lowercased() == "location" } ? 302 : 200),
                    headers: headers, body: body)
                if response.header("content-type") == nil && !body.isEmpty {
                    response.headers.append(("Content-Type", "application/octet-stream"))
                }
                return response
            }
            let line = String(decoding: output[lineStart..<lineEnd], as: UTF8.self)
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { return nil }
            let name = String(line[..<colon])
            guard
                name.utf8.allSatisfy({
                    ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                        || $0 == 0x5F
                })
            else { return nil }
            let value = line[line.index(after: colon)...].trimmed()
            if name.lowercased() == "status" {
                guard let code = Int(value.prefix(3)), (100...599).contains(code) else { return nil }
                status = code
            } else if !serverOwned.contains(name.lowercased()) {
                headers.append((name, value))
            }
            lineStart = i + 1
            i += 1
        }
        return nil
    }
}
