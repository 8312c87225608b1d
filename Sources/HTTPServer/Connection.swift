import FoundationEssentials
import BundleCore
#if canImport(Glibc)
import Glibc
#endif

/// One client connection: reads requests, hands them to the handler, writes responses.
final class Connection {
    let fd: Int32
    let remote: String
    let remotePort: Int
    let limits: ServerLimits
    let onRejected: HTTPServer.RejectionObserver?
    /// Admitted beyond `maxConnections`: serves only `limits.reservedPaths`.
    let reservedOnly: Bool
    private var buffer: [UInt8] = []
    /// What one `recv` reads into, allocated once per connection (not zeroed anew for each read).
    private var chunk = [UInt8](repeating: 0, count: 16384)

    init(
        fd: Int32, remote: String, remotePort: Int, limits: ServerLimits,
        onRejected: HTTPServer.RejectionObserver? = nil,
        reservedOnly: Bool = false
    ) {
        self.fd = fd
        self.remote = remote
        self.remotePort = remotePort
        self.limits = limits
        self.onRejected = onRejected
        self.reservedOnly = reservedOnly
    }

    /// Answers a request the server refused before any handler saw it, and tells the observer.
    private func reject(_ response: ServerResponse) {
        Self.write(fd, Self.serialize(response, keepAlive: false, headOnly: false))
        onRejected?(response.status, remote)
        Self.drain(fd, seconds: limits.lingerSeconds)
    }

    enum ReadError: Error { case closed, timeout, tooLarge(Int), bad(String), unsupportedCoding(String) }

    func serve(shouldStop: () -> Bool, begin: () -> Void, end: () -> Void, handler: HTTPServer.Handler) {
        var first = true
        while !shouldStop() {
            let request: ServerRequest
            do {
                request = try readRequest(idleTimeout: first ? limits.readTimeout : limits.keepAliveTimeout)
            } catch ReadError.closed {
                return
            } catch ReadError.timeout {
                if !buffer.isEmpty { reject(errorResponse(408, "request_timeout", "request not received in time")) }
                return
            } catch ReadError.tooLarge(let status) {
                let r =
                    status == 413
                    ? errorResponse(413, "body_too_large", "body exceeds \(limits.maxBodyBytes) bytes")
                    : errorResponse(431, "headers_too_large", "request head exceeds \(limits.maxHeaderBytes) bytes")
                reject(r)
                return
            } catch ReadError.unsupportedCoding(let coding) {
                reject(
                    errorResponse(
                        501, "unsupported_transfer_coding",
                        "Transfer-Encoding \(coding) is not supported: send chunked or a Content-Length body"))
                return
            } catch ReadError.bad(let why) {
                reject(errorResponse(400, "bad_request", why))
                return
            } catch {
                return
            }
            first = false
            if reservedOnly && !limits.reservedPaths.contains(request.path) {
                reject(
                    ServerResponse.json(
                        503, ["error": ["code": "overloaded", "message": "too many connections"]],
                        headers: [("Retry-After", "1")]))
                return
            }
            begin()
            let action = handler(request)
            let keepAlive = wantsKeepAlive(request) && !shouldStop()
            switch action {
            case .reset:
                var l = linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
                end()
                return
            case .respond(let response):
                let closeAfter = !keepAlive || response.header("connection")?.lowercased() == "close"
                Self.write(fd, Self.serialize(response, keepAlive: !closeAfter, headOnly: request.method == "HEAD"))
                end()
                if closeAfter { return }
            }
        }
    }

    func errorResponse(_ status: Int, _ code: String, _ message: String) -> ServerResponse {
        .json(status, ["error": ["code": .string(code), "message": .string(message)]])
    }

    func wantsKeepAlive(_ r: ServerRequest) -> Bool {
        let c = r.header("connection")?.lowercased() ?? ""
        if r.version == "HTTP/1.0" { return c.contains("keep-alive") }
        return !c.contains("close")
    }

    /// Waits for data up to `timeout` seconds and appends it; throws `.timeout` or `.closed`.
    private func fill(until deadline: Double) throws {
        let remaining = deadline - Clock.monotonicMS()
        if remaining <= 0 { throw ReadError.timeout }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let rc = poll(&p, 1, Int32(max(1, remaining)))
        if rc == 0 { throw ReadError.timeout }
        if rc < 0 { if errno == EINTR { return }; throw ReadError.closed }
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { if n < 0 && errno == EINTR { return }; throw ReadError.closed }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private func readRequest(idleTimeout: Double) throws -> ServerRequest {
        // Wait for the first byte (idle keep-alive), then the whole head within readTimeout.
        if buffer.isEmpty { try fill(until: Clock.monotonicMS() + idleTimeout * 1000) }
        let headDeadline = Clock.monotonicMS() + limits.readTimeout * 1000
        var headEnd: Int?
        while true {
            if let i = Self.find(buffer, [13, 10, 13, 10]) { headEnd = i; break }
            if buffer.count > limits.maxHeaderBytes { throw ReadError.tooLarge(431) }
            try fill(until: headDeadline)
        }
        if headEnd! > limits.maxHeaderBytes { throw ReadError.tooLarge(431) }
        var lines = Self.lines(buffer[0..<headEnd!])
        buffer.removeSubrange(0..<(headEnd! + 4))
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
            throw ReadError.bad("malformed request line")
        }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            // A lone CR or LF (or a NUL) inside a header line is how requests get smuggled.
            if line.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
                throw ReadError.bad("control character in a header line")
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw ReadError.bad("malformed header line")
            }
            let name = String(line[..<colon])
            if name.contains(" ") || name.contains("\t") { throw ReadError.bad("white space in header name") }
            headers.append((name, line[line.index(after: colon)...].trimmed()))
        }
        var request = ServerRequest(
            method: String(requestLine[0]), target: String(requestLine[1]), version: String(requestLine[2]),
            headerList: headers, remoteAddress: remote, remotePort: remotePort)
        let lengths = Set(headers.filter { $0.0.equalsIgnoringASCIICase("content-length") }.map(\.1))
        if let te = request.header("transfer-encoding") {
            try readChunkedBody(of: &request, coding: te, hasContentLength: !lengths.isEmpty)
            return request
        }
        if lengths.count > 1 { throw ReadError.bad("conflicting Content-Length headers") }
        if let l = lengths.first {
            // Digits only: "+2", "0x10" or " 2 2" are not lengths (RFC 9110, 8.6).
            guard !l.isEmpty, l.utf8.count <= 18, l.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let length = Int(l)
            else {
                throw ReadError.bad("invalid Content-Length")
            }
            if length > limits.maxBodyBytes { throw ReadError.tooLarge(413) }
            if buffer.count < length { sendContinueIfAsked(request) }
            let bodyDeadline = Clock.monotonicMS() + limits.readTimeout * 1000
            while buffer.count < length { try fill(until: bodyDeadline) }
            request.body = Array(buffer[0..<length])
            buffer.removeSubrange(0..<length)
        }
        return request
    }

    /// A client that asked to wait before sending its body (curl does for bodies over 1 KiB) gets
    /// the go-ahead at once.
    private func sendContinueIfAsked(_ request: ServerRequest) {
        if request.version == "HTTP/1.1", request.header("expect")?.lowercased() == "100-continue" {
            Self.write(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
    }

    /// Reads a chunked body (RFC 9112, 7.1), which every HTTP/1.1 recipient must be able to
    /// parse: chunks of a hexadecimal size (extensions after `;` ignored), CR LF, that many bytes,
    /// CR LF; a last chunk of size 0; trailer fields, read and dropped, up to an empty line. The
    /// whole body must arrive within the read timeout. The request then carries the decoded body
    /// and a `Content-Length` in place of `Transfer-Encoding` (7.1.3). Refused: any coding but
    /// `chunked` alone (501), `Transfer-Encoding` next to `Content-Length` or in an HTTP/1.0
    /// request (400: the framing a proxy in front might read otherwise, RFC 9112 6.1 and 6.3), a
    /// malformed chunk (400), a body over the limit or framing over twice that (413: a million
    /// one-byte chunks is not a body), trailers over the head limit (431). The framing is read
    /// with a cursor into the buffer, compacted now and then, so many small chunks cost no more
    /// than a few large ones.
    private func readChunkedBody(of request: inout ServerRequest, coding: String, hasContentLength: Bool) throws {
        let trimmed = coding.trimmed()
        if trimmed.isEmpty { throw ReadError.bad("empty Transfer-Encoding") }
        guard trimmed.equalsIgnoringASCIICase("chunked") else { throw ReadError.unsupportedCoding(trimmed) }
        if hasContentLength { throw ReadError.bad("both Transfer-Encoding and Content-Length") }
        if request.version == "HTTP/1.0" { throw ReadError.bad("Transfer-Encoding in an HTTP/1.0 request") }
        sendContinueIfAsked(request)
        let deadline = Clock.monotonicMS() + limits.readTimeout * 1000
        let maxFraming = 2 * limits.maxBodyBytes + 65536
        var body: [UInt8] = []
        var cursor = 0, consumed = 0
        /// Drops what the cursor passed once it is a good part of the buffer (amortized O(n)).
        func compact() {
            guard cursor > 65536 && cursor * 2 > buffer.count else { return }
            buffer.removeSubrange(0..<cursor)
            consumed += cursor
            cursor = 0
        }
        /// The next line from the cursor (without CR LF), reading more until it is there.
        func line(limit: Int) throws -> ArraySlice<UInt8> {
            var from = cursor
            while true {
                if let i = Self.find(buffer, [13, 10], from: from) {
                    let found = buffer[cursor..<i]
                    cursor = i + 2
                    return found
                }
                if buffer.count - cursor > limit { throw ReadError.bad("line too long in a chunked body") }
                if consumed + buffer.count > maxFraming { throw ReadError.tooLarge(413) }
                from = max(cursor, buffer.count - 1)
                try fill(until: deadline)
            }
        }
        while true {
            let sizeLine = try line(limit: 1024)
            let size =
                (sizeLine.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
                .first ?? [])
                .filter { $0 != 0x20 && $0 != 0x09 }
            guard !size.isEmpty, size.count <= 15,
                size.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }),
                let count = Int(String(decoding: size, as: UTF8.self), radix: 16)
            else { throw ReadError.bad("invalid chunk size") }
            if count == 0 { break }
            if body.count + count > limits.maxBodyBytes { throw ReadError.tooLarge(413) }
            while buffer.count - cursor < count + 2 {
                if consumed + buffer.count > maxFraming { throw ReadError.tooLarge(413) }
                try fill(until: deadline)
            }
            guard buffer[cursor + count] == 13, buffer[cursor + count + 1] == 10 else {
                throw ReadError.bad("chunk data not followed by CR LF")
            }
            body.append(contentsOf: buffer[cursor..<(cursor + count)])
            cursor += count + 2
            compact()
        }
        var trailers = 0
        while true {
            let field = try line(limit: limits.maxHeaderBytes)
            if field.isEmpty { break }
            trailers += field.count + 2
            if trailers > limits.maxHeaderBytes { throw ReadError.tooLarge(431) }
        }
        buffer.removeSubrange(0..<cursor)
        request.headerList.removeAll {
            $0.0.equalsIgnoringASCIICase("transfer-encoding") || $0.0.equalsIgnoringASCIICase("content-length")
        }
        request.headerList.append(("Content-Length", String(body.count)))
        request.body = body
    }

    /// The head's lines, split at each CR LF (a lone CR or LF stays inside its line, where the
    /// header checks refuse it).
    static func lines(_ head: ArraySlice<UInt8>) -> [String] {
        var lines: [String] = []
        var start = head.startIndex
        var i = head.startIndex
        while i + 1 < head.endIndex {
            if head[i] == 13 && head[i + 1] == 10 {
                lines.append(String(decoding: head[start..<i], as: UTF8.self))
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        lines.append(String(decoding: head[start..<head.endIndex], as: UTF8.self))
        return lines
    }

    /// Where `needle` (not empty) first occurs in `haystack` at or after `from`.
    static func find(_ haystack: [UInt8], _ needle: [UInt8], from: Int = 0) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = max(0, from)
        while i <= haystack.count - needle.count {
            if haystack[i] == first && haystack[(i + 1)..<(i + needle.count)].elementsEqual(needle.dropFirst()) {
                return i
            }
            i += 1
        }
        return nil
    }

    static func serialize(_ r: ServerResponse, keepAlive: Bool, headOnly: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(r.status) \(ExitStatus.reason(r.status))\r\n"
        var hasLength = false, hasDate = false
        for (k, v) in r.headers where !k.equalsIgnoringASCIICase("connection") {
            if k.equalsIgnoringASCIICase("content-length") { hasLength = true }
            if k.equalsIgnoringASCIICase("date") { hasDate = true }
            head += "\(k): \(v)\r\n"
        }
        let body = r.body
        if !hasLength { head += "Content-Length: \(body.count)\r\n" }
        if !hasDate { head += "Date: \(Clock.httpDate(Clock.now()))\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(head.utf8) + (headOnly ? [] : body)
    }

    /// Ends the server's side of a connection it answered before reading the whole request (a
    /// refusal: 413, 400, 503 …), then reads and discards what the client still sends until the
    /// client closes, an error, or `seconds` pass; the caller closes the socket after. A socket
    /// closed with unread bytes in it sends a reset, and a reset makes the client's kernel drop
    /// the answer before the client reads it: a client that sends its whole body before reading
    /// (Python's http.client does) would see "connection reset" where it should see 413.
    /// RFC 9112, 9.6 (Tear-down): a server closes in stages, half-close first, then reads on.
    static func drain(_ fd: Int32, seconds: Double) {
        guard shutdown(fd, Int32(SHUT_WR)) == 0 else { return }
        let deadline = Clock.monotonicMS() + seconds * 1000
        var scratch = [UInt8](repeating: 0, count: 16384)
        while true {
            let remaining = deadline - Clock.monotonicMS()
            if remaining <= 0 { return }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&p, 1, Int32(max(1, remaining)))
            if rc < 0 && errno == EINTR { continue }
            if rc <= 0 { return }
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
        }
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

}
