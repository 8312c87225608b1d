import BundleCore
import CShims
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The connection a process keeps to the services: one libcurl handle (its connection cache), used
/// by one transfer at a time. Every `HTTPClient` of the process shares it, so connections are
/// reused across events while each event keeps its own deadline and plan.
public final class HTTPTransport: Sendable {
    /// What one transfer ended with.
    public enum Result: Sendable {
        case response(HTTPResponse)
        /// No answer; `sent` says whether the request may have reached the service.
        case failure(code: Int32, message: String, sent: Bool)
    }

    /// The curl easy handle (created on first use; only touched under the mutex).
    struct Handle: @unchecked Sendable {
        var pointer: UnsafeMutableRawPointer?
    }
    private let handle = PlainMutex(Handle())
    /// Answers read ahead (`fetchAhead`, then `install`), by URL, with the milliseconds each
    /// took; each is taken once.
    private let ahead = PlainMutex<[String: (response: HTTPResponse, milliseconds: Double)]>([:])

    public init() {}

    /// How many reads one `fetchAhead` call runs together.
    public static let prefetchLimit = Int(CCURL_MANY_MAX)

    /// Answers read ahead together (`fetchAhead`), by URL, with the milliseconds each took.
    public struct ReadAhead: Sendable {
        var answers: [String: (response: HTTPResponse, milliseconds: Double)] = [:]
        /// True when a service asked to slow down (429 or 503).
        public internal(set) var limited = false
    }

    /// Replaces the answers kept for `takePrefetched(_:)` with `ahead`'s.
    public func install(_ ahead: ReadAhead) {
        self.ahead.withLock { $0 = ahead.answers }
    }

    /// Reads `requests` (GETs; others are ignored) together — libcurl's multi interface, at most
    /// `prefetchLimit` at a time — and returns each answer (also a 429 or 503, whose `Retry-After`
    /// the caller's send then waits for) without keeping it: `install` hands them to
    /// `takePrefetched(_:)`. A read that got no answer gives nothing: the caller's own send makes
    /// it (with its retries). Safe on any thread, beside this transport's own transfers (it uses
    /// the multi handle of `ccurl_get_many`, not the easy handle of `perform`), so a stream can
    /// read the next events ahead while it handles the current ones.
    public func fetchAhead(_ requests: [HTTPRequest], timeout: Double, connectTimeout: Double) -> ReadAhead {
        var result = ReadAhead()
        let gets = requests.filter { $0.method == "GET" && $0.body == nil }
        var start = 0
        while start < gets.count {
            let batch = Array(gets[start..<min(gets.count, start + Self.prefetchLimit)])
            start += batch.count
            let began = Clock.monotonicMS()
            let urls = batch.map { strdup($0.url) }
            let headers = batch.flatMap { r in r.headers.map { strdup("\($0.0): \($0.1)") } }
            let counts = batch.map(\.headers.count)
            defer {
                urls.forEach { free($0) }
                headers.forEach { free($0) }
            }
            var results = [ccurl_result](repeating: ccurl_result(), count: batch.count)
            let timeoutMS = max(1, Int(timeout * 1000))
            urls.map { $0.map { UnsafePointer<CChar>($0) } }.withUnsafeBufferPointer { u in
                headers.map { $0.map { UnsafePointer<CChar>($0) } }.withUnsafeBufferPointer { h in
                    _ = ccurl_get_many(
                        batch.count, u.baseAddress, h.baseAddress, counts, min(timeoutMS, Int(connectTimeout * 1000)),
                        timeoutMS, &results)
                }
            }
            let milliseconds = Clock.monotonicMS() - began
            for (i, r) in results.enumerated() {
                if r.status == 429 || r.status == 503 { result.limited = true }
                if r.curl_code == 0 && r.status > 0 {
                    let headers = Self.parseHeaders(UnsafeRawBufferPointer(start: r.headers, count: r.headers_len))
                    let body = Array(UnsafeRawBufferPointer(start: r.body, count: r.body_len))
                    result.answers[batch[i].url] = (
                        HTTPResponse(status: r.status, headers: headers, body: body), milliseconds
                    )
                }
                ccurl_result_free(&results[i])
            }
        }
        return result
    }

    /// The answer read ahead for `url`, if any (removed: each is used once).
    public func takePrefetched(_ url: String) -> (response: HTTPResponse, milliseconds: Double)? {
        ahead.withLock { $0.removeValue(forKey: url) }
    }

    /// Drops the answers read ahead that nobody took (so none outlives its window).
    public func clearPrefetched() { ahead.withLock { $0.removeAll() } }

    deinit { handle.withLock { if let p = $0.pointer { ccurl_handle_free(p) } } }

    /// Performs one transfer with a total `timeout` and a connection `connectTimeout` (seconds).
    public func perform(_ request: HTTPRequest, timeout: Double, connectTimeout: Double) -> Result {
        handle.withLock { h in Self.perform(request, on: &h, timeout: timeout, connectTimeout: connectTimeout) }
    }

    private static func perform(
        _ request: HTTPRequest, on handle: inout Handle, timeout: Double, connectTimeout: Double
    ) -> Result {
        if handle.pointer == nil {
            handle.pointer = ccurl_handle_new()
            if handle.pointer == nil {
                return .failure(code: -1, message: String(cString: ccurl_load_error()), sent: false)
            }
        }
        let curl = handle.pointer
        var headerLines = request.headers.map { "\($0.0): \($0.1)" }
        if request.body != nil, !request.headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headerLines.append("Content-Type: application/octet-stream")
        }
        var cStrings = headerLines.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var result = ccurl_result()
        let timeoutMS = max(1, Int(timeout * 1000))
        let connectMS = min(timeoutMS, Int(connectTimeout * 1000))
        // A write rides a fresh connection (see ccurl_perform): libcurl would re-send it unseen
        // when a reused connection dies before the answer — also a PUT with a compare-and-set
        // (`safe_update`) or a write the service dedupes, whose repeat changes what the caller
        // reads back. Reads reuse connections (kept across requests by a warm worker), and so do
        // writes whose unseen repeat is harmless and answered alike (`resendable`).
        let reusable = request.method == "GET" || request.method == "HEAD" || request.resendable
        let fresh: Int32 = reusable ? 0 : 1
        let rc: Int32 = cStrings.withUnsafeMutableBufferPointer { hp in
            hp.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, hp.count)) { hptr in
                if let body = request.body {
                    return body.withUnsafeBytes { bp in
                        ccurl_perform(
                            curl, request.method, request.url, hptr, hp.count,
                            bp.baseAddress ?? UnsafeRawPointer(bitPattern: 1), bp.count, connectMS, timeoutMS, fresh,
                            &result)
                    }
                }
                return ccurl_perform(
                    curl, request.method, request.url, hptr, hp.count, nil, 0, connectMS, timeoutMS, fresh, &result)
            }
        }
        defer { ccurl_result_free(&result) }
        if rc != 0 {
            let message = withUnsafeBytes(of: result.error) {
                String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            // "Couldn't connect"/"couldn't resolve" never reached the service.
            let sent = result.sent != 0 && rc != 6 && rc != 7
            return .failure(code: rc, message: message, sent: sent)
        }
        let headers = Self.parseHeaders(UnsafeRawBufferPointer(start: result.headers, count: result.headers_len))
        let body = Array(UnsafeRawBufferPointer(start: result.body, count: result.body_len))
        return .response(HTTPResponse(status: result.status, headers: headers, body: body))
    }

    static func parseHeaders(_ raw: UnsafeRawBufferPointer) -> [String: String] {
        var h: [String: String] = [:]
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        var start = 0
        // Lines end at CR, LF or both; a line without a colon (the status line) is skipped; a
        // repeated name keeps its last value (libcurl hands over every response's headers, in order).
        while start < raw.count {
            var end = start
            while end < raw.count && raw[end] != 0x0D && raw[end] != 0x0A { end += 1 }
            if let colon = raw[start..<end].firstIndex(of: UInt8(ascii: ":")) {
                var n0 = start, n1 = colon
                while n0 < n1 && isSpace(raw[n0]) { n0 += 1 }
                while n1 > n0 && isSpace(raw[n1 - 1]) { n1 -= 1 }
                var v0 = colon + 1, v1 = end
                while v0 < v1 && isSpace(raw[v0]) { v0 += 1 }
                while v1 > v0 && isSpace(raw[v1 - 1]) { v1 -= 1 }
                let name = String(decoding: raw[n0..<n1].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
                h[name] = String(decoding: UnsafeRawBufferPointer(rebasing: raw[v0..<v1]), as: UTF8.self)
            }
            start = end + 1
        }
        return h
    }
}
