import BundleCore
import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// `GET /console`: one HTML page of what the invoker did — the recent invocations (newest first,
/// filterable by outcome, failures and "needs a person" highlighted), the list of what needs a
/// person with what to do, totals since start and a per-minute chart of requests and errors.
///
/// No framework, no external assets, no JavaScript (a meta refresh every 10 s); every text is
/// HTML-escaped after phone numbers and emails are masked as in the logs. Access: with
/// `CONSOLE_TOKEN` set, `Authorization: Bearer <token>` or the cookie the login form sets; without
/// it, only clients on loopback.
public final class InvokerConsole: Sendable {
    /// One answered request.
    public struct Entry: Sendable {
        var time: Date
        var route: String
        var function: String
        var status: Int
        var exit: String
        var outcome: String
        var reason: String
        var ticketID: String
        var milliseconds: Int
        var note: String
        /// The upstream calls, e.g. `zendesk 200 · klaviyo 202 (2 attempts)`.
        var upstream: String
    }

    struct State: Sendable {
        /// A ring of the last `capacity` entries; `next` is where the next one goes.
        var ring: [Entry] = []
        var next = 0
        var total = 0
        var clientErrors = 0
        var serverErrors = 0
        /// Requests and errors (status ≥ 500) per minute since start, by minute number.
        var perMinute: [Int: (requests: Int, errors: Int)] = [:]
        var lastMinute = 0

        /// The entries, oldest first.
        var recent: [Entry] { ring.count < InvokerConsole.capacity ? ring : Array(ring[next...] + ring[..<next]) }
    }

    /// How many invocations the page keeps.
    public static let capacity = 200
    public static let cookie = "bundle_console"
    private let state = PlainMutex(State())
    private let token: String?
    private let redactor: Redactor
    private let attentionLog: String?

    public init(token: String?, redactor: Redactor, attentionLog: String?) {
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.redactor = redactor
        self.attentionLog = attentionLog
    }

    /// Records an answered request (its outcome, reason and ticket read from a JSON answer; from
    /// `outcomeHeader`, the answer's `X-Function-Outcome`, when the answer is not the JSON result:
    /// Twilio's TwiML).
    func record(
        route: String, function: String?, status: Int, exit: Int32?, body: [UInt8], milliseconds: Double,
        note: String?, upstream: [UpstreamRecord] = [], outcomeHeader: String? = nil
    ) {
        // Four members of the answer, read without building it.
        let v =
            (try? JSONScanner.scan(body, paths: [["outcome"], ["reason"], ["error", "message"], ["ticket_id"]]))?
            .values ?? []
        func member(_ i: Int) -> JSON { i < v.count ? v[i] ?? .null : .null }
        let entry = Entry(
            time: Date(), route: route, function: function ?? "-", status: status, exit: exit.map(String.init) ?? "-",
            outcome: member(0).string ?? outcomeHeader ?? (status < 400 ? "ok" : "error"),
            reason: member(1).string ?? member(2).string ?? "",
            ticketID: member(3).int.map(String.init) ?? member(3).string ?? "",
            milliseconds: Int(milliseconds.rounded()), note: note ?? "", upstream: Self.summary(upstream))
        let minute = Int(entry.time.timeIntervalSince1970 / 60)
        state.withLock { s in
            if s.ring.count < Self.capacity {
                s.ring.append(entry)
            } else {
                s.ring[s.next] = entry
            }
            s.next = (s.next + 1) % Self.capacity
            s.total += 1
            if status >= 500 { s.serverErrors += 1 } else if status >= 400 { s.clientErrors += 1 }
            var m = s.perMinute[minute] ?? (0, 0)
            m.requests += 1
            if status >= 500 { m.errors += 1 }
            s.perMinute[minute] = m
            if minute != s.lastMinute {  // a new minute: forget the hour before
                s.lastMinute = minute
                s.perMinute = s.perMinute.filter { $0.key > minute - 60 }
            }
        }
    }

    /// `zendesk 200 · klaviyo 202 (2 attempts) · twilio no answer`.
    public static func summary(_ calls: [UpstreamRecord]) -> String {
        calls.map { c in
            (c.status == 0 ? "\(c.service) no answer" : "\(c.service) \(c.status)")
                + (c.attempts > 1 ? " (\(c.attempts) attempts)" : "")
        }.joined(separator: " · ")
    }

    // MARK: - Access

    /// The page, the login form, or a refusal.
    func respond(_ request: ServerRequest) -> ServerResponse {
        if let token {
            if request.method == "POST" {
                let form = FormDecoding.pairs(request.body)
                guard let given = form.last(where: { $0.0 == "token" })?.1, Self.same(given, token) else {
                    return page(401, login(failed: true))
                }
                return ServerResponse(
                    status: 303,
                    headers: [
                        ("Location", "/console"),
                        ("Set-Cookie", "\(Self.cookie)=\(token); Path=/console; HttpOnly; SameSite=Strict"),
                    ])
            }
            guard authorized(request, token: token) else { return page(401, login(failed: false)) }
        } else if !Self.isLoopback(request.remoteAddress) {
            return page(
                403,
                Self.document(title: "Console", body: "<p>Set CONSOLE_TOKEN to open the console from other hosts.</p>"))
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return ServerResponse(status: 405, headers: [("Allow", "GET, HEAD, POST")])
        }
        return page(200, html(filter: request.queryValue("outcome")))
    }

    func authorized(_ request: ServerRequest, token: String) -> Bool {
        let header = request.headerList.last { $0.0.lowercased() == "authorization" }?.1 ?? ""
        if header.hasPrefix("Bearer "), Self.same(String(header.dropFirst(7)), token) { return true }
        for (name, value) in request.headerList where name.lowercased() == "cookie" {
            for part in value.split(separator: ";") {
                let pair = part.trimmed()
                if pair.hasPrefix(Self.cookie + "="), Self.same(String(pair.dropFirst(Self.cookie.count + 1)), token) {
                    return true
                }
            }
        }
        return false
    }

    /// Constant-time comparison (a token is a secret).
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address == "::ffff:127.0.0.1"
    }

    func page(_ status: Int, _ html: String) -> ServerResponse {
        ServerResponse(
            status: status,
            headers: [
                ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
            ], body: Array(html.utf8))
    }

    // MARK: - The page

    /// Text for the page: phone numbers and emails masked, then HTML-escaped.
    func text(_ s: String) -> String { HTMLText.escape(redactor.redact(s)) }

    func login(failed: Bool) -> String {
        Self.document(
            title: "Console — sign in",
            body: (failed ? "<p class=\"fail\">That token is not the console's.</p>" : "")
                + """
                <form method="post" action="/console"><label>Console token <input type="password" name="token"></label>
                <button type="submit">Open</button></form>
                """)
    }

    func html(filter: String?) -> String {
        let s = state.withLock { $0 }
        let recent = s.recent
        let outcomes = Array(Set(recent.map(\.outcome))).sorted()
        var body = "<h1>Bundle console</h1>"
        body +=
            "<p id=\"totals\">Since start: <b>\(s.total)</b> requests, <b>\(s.clientErrors)</b> refused (4xx), <b>\(s.serverErrors)</b> failed (5xx).</p>"
        body += chart(s)
        let attention = attentionEntries()
        body += "<h2>Needs a person (\(attention.count))</h2>"
        if attention.isEmpty {
            body += "<p>Nothing.</p>"
        } else {
            body +=
                "<table id=\"attention\"><tr><th>when</th><th>what</th><th>ticket</th><th>detail</th><th>what to do</th></tr>"
            for a in attention.suffix(50).reversed() {
                body +=
                    "<tr class=\"attention\"><td>\(text(a["ts"].string ?? ""))</td><td>\(text(a["kind"].string ?? ""))</td><td>\(text(a["ticket_id"].int.map(String.init) ?? ""))</td><td>\(text(a["detail"].string ?? ""))</td><td>\(text(a["action"].string ?? ""))</td></tr>"
            }
            body += "</table>"
        }
        body += "<h2>Recent invocations</h2><p>Outcome: <a href=\"/console\">all</a>"
        for o in outcomes { body += " · <a href=\"/console?outcome=\(text(o))\">\(text(o))</a>" }
        body +=
            "</p><table id=\"recent\"><tr><th>time</th><th>route</th><th>function</th><th>status</th><th>exit</th><th>outcome</th><th>reason</th><th>ticket</th><th>ms</th><th>upstream calls</th><th>note</th></tr>"
        for e in recent.reversed() where filter == nil || e.outcome == filter {
            let failed = e.status >= 500 || e.outcome == "error" || e.outcome == "failed"
            let person = e.reason.contains("attention") || e.note.contains("needs a person")
            let cls = failed ? "fail" : person ? "attention" : "ok"
            body +=
                "<tr class=\"\(cls)\"><td>\(Clock.iso8601(e.time))</td><td>\(text(e.route))</td><td>\(text(e.function))</td><td>\(e.status)</td><td>\(text(e.exit))</td><td class=\"outcome\">\(text(e.outcome))</td><td>\(text(e.reason))</td><td>\(text(e.ticketID))</td><td>\(e.milliseconds)</td><td class=\"upstream\">\(text(e.upstream))</td><td>\(text(e.note))</td></tr>"
        }
        body += "</table><p><a href=\"/console\">Reload</a> (the page reloads itself every 10 s).</p>"
        return Self.document(title: "Bundle console", body: body, refresh: true)
    }

    /// Requests (grey) and errors (red) per minute over the last 30 minutes, as inline SVG.
    func chart(_ s: State) -> String {
        let now = Int(Date().timeIntervalSince1970 / 60)
        let minutes = (now - 29...now).map { s.perMinute[$0] ?? (0, 0) }
        let top = max(1, minutes.map(\.requests).max() ?? 1)
        var svg =
            "<svg id=\"chart\" role=\"img\" aria-label=\"requests and errors per minute, last 30 minutes\" width=\"620\" height=\"110\" viewBox=\"0 0 620 110\">"
        for (i, m) in minutes.enumerated() {
            let x = 10 + i * 20
            let h = m.requests * 90 / top, e = m.errors * 90 / top
            svg +=
                "<rect x=\"\(x)\" y=\"\(100 - h)\" width=\"14\" height=\"\(h)\" fill=\"#999\"><title>\(m.requests) requests</title></rect>"
            if e > 0 {
                svg +=
                    "<rect x=\"\(x)\" y=\"\(100 - e)\" width=\"14\" height=\"\(e)\" fill=\"#c00\"><title>\(m.errors) errors</title></rect>"
            }
        }
        return svg
            + "<text x=\"10\" y=\"108\" font-size=\"8\">30 min ago</text><text x=\"580\" y=\"108\" font-size=\"8\">now</text></svg>"
    }

    func attentionEntries() -> [JSON] {
        guard let attentionLog else { return [] }
        return JSONLines.read(attentionLog).lines
    }

    static func document(title: String, body: String, refresh: Bool = false) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(HTMLText.escape(title))</title>\(refresh ? "<meta http-equiv=\"refresh\" content=\"10\">" : "")
        <style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}tr.fail{background:#fdd}tr.attention{background:#ffd}</style>
        </head><body>\(body)</body></html>
        """
    }
}
