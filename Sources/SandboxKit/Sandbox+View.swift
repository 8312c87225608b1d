import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The conversation view: `GET /` renders `ConversationPage`; its forms post here and are
/// answered with `303 See Other` back to the page, which shows what the action did:
///
/// | | |
/// |---|---|
/// | `POST /_view/text` `from`, `to`, `body` | the customer texts the number (as `POST /_ctl/phone/text`) |
/// | `POST /_view/reply` `ticket`, `agent`, `body`, `public` | the agent comments through Zendesk's API (`PUT /api/v2/tickets/{id}`), so Zendesk's webhook reaches agent-reply |
/// | `POST /_view/solve` `ticket` | the agent solves the ticket the same way |
/// | `POST /_view/clock` `seconds` | moves the clock and runs the automations (as `POST /_ctl/clock`) |
///
/// Each action waits (up to 10 s) for the webhook deliveries it caused, so the page that follows
/// shows their effects. A person's actions are never faulted (`X-Sandbox-Actor: runner`).
extension Sandbox {
    /// The page, or nil when `request` is not the view's.
    func view(_ request: ServerRequest) -> ServerResponse? {
        switch (request.method, request.path) {
        case ("GET", "/"), ("HEAD", "/"):
            let page = ConversationPage(state: state(), flash: request.queryValue("done"))
            return ServerResponse(
                status: 200,
                headers: [
                    ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"),
                ], body: Array(page.html.utf8))
        case ("POST", let path) where path.hasPrefix("/_view/"):
            let form = FormDecoding.pairs(request.body)
            func field(_ name: String) -> String? { form.last { $0.0 == name }?.1 }
            let done: String
            do {
                switch path {
                case "/_view/text": done = try viewText(from: field("from"), to: field("to"), body: field("body"))
                case "/_view/reply":
                    done = try viewReply(
                        ticket: field("ticket"), agent: field("agent"), body: field("body"),
                        isPublic: field("public") == "1")
                case "/_view/solve": done = try viewSolve(ticket: field("ticket"))
                case "/_view/clock":
                    guard let seconds = field("seconds").flatMap(Double.init), seconds > 0 else {
                        throw RuntimeError(.usage, "seconds must be a positive number")
                    }
                    advanceClock(seconds: seconds)
                    let fired = runAutomations()
                    let settled = waitForDeliveries(timeout: 10)
                    done =
                        "clock moved \(Int(seconds)) s; automations fired \(fired) webhook(s)"
                        + (settled ? "" : "; deliveries still running, reload")
                default:
                    return .json(404, ["error": "not_found", "message": .string("no view action \(path)")])
                }
            } catch let error as RuntimeError {
                done = "refused: \(error.message)"
            } catch {
                done = "refused: \(error)"
            }
            return ServerResponse(status: 303, headers: [("Location", "/?done=" + FormDecoding.encode(done))])
        default:
            return nil
        }
    }

    func viewText(from: String?, to: String?, body: String?) throws -> String {
        guard let from, let to, let body, !body.trimmed().isEmpty else {
            throw RuntimeError(.usage, "a text needs from, to and a body")
        }
        let response = try phoneText(["from": .string(from), "to": .string(to), "body": .string(body)])
        let answer = (try? JSON.parse(response.body)) ?? .null
        _ = waitForDeliveries(timeout: 10)
        guard answer["delivered"].bool == true else {
            return "text not delivered: \(answer["error"]["message"].string ?? "HTTP \(response.status)")"
        }
        let r = answer["response"]
        var said = "text delivered; sms-inbound answered \(answer["status"].int ?? 0)"
        // A JSON result names its outcome; Twilio's TwiML answer carries it in X-Function-Outcome.
        let outcome = r["outcome"].string ?? answer.at("response_headers.x-function-outcome").string
        if let outcome { said += ": \(outcome)" }
        if let ticket = r["ticket_id"].int { said += " ticket \(ticket)" }
        if let reason = r["reason"].string { said += " (\(reason))" }
        if let code = answer.at("read_as.error_code").int { said += "; Twilio recorded alert \(code)" }
        if r["ticket_id"].isNull, outcome != "spooled", outcome != "ignored",
            let ticket = waitForComment(containing: body, from: from, timeout: 0)
        {
            said += " on ticket \(ticket)"
        }
        if outcome == "spooled" {
            // The invoker acknowledged first and runs sms-inbound in the background: wait for the text.
            if let ticket = waitForComment(containing: body, from: from, timeout: 10) {
                said += "; then on ticket \(ticket)"
            } else {
                said += "; not on a ticket yet (a keyword, no consent, or still running: reload)"
            }
            _ = waitForDeliveries(timeout: 10)
        }
        return said
    }

    /// The SMS Twilio or Klaviyo sent with `body` (the newest), once it is sent, within `timeout` seconds.
    func waitForSMS(body: String, timeout: Double) -> JSON? {
        waitFor(timeout: timeout) {
            if let m = (twilio.snapshot()["messages"].array ?? []).last(where: { $0["body"].string == body }) {
                return m
            }
            let klaviyoMessages = klaviyo.snapshot()["conversation_messages"].array ?? []
            return klaviyoMessages.last { $0["body"].string == body }.map {
                ["from": $0["from_number"], "status": "sent through Klaviyo"]
            }
        }
    }

    /// The ticket on which a comment with `text` from the customer at `phone` appears within
    /// `timeout` seconds, nil when none does.
    func waitForComment(containing text: String, from phone: String, timeout: Double) -> Int64? {
        let needle = text.trimmed()
        return waitFor(timeout: timeout) {
            (zendesk.snapshot()["tickets"].array ?? []).last { t in
                (t["external_id"].string ?? "").hasPrefix("sms:\(phone):")
                    && (t["comments"].array ?? []).contains { ($0["body"].string ?? "").contains(needle) }
            }?["id"].int
        }
    }

    /// What `probe` (run under the sandbox lock) finds within `timeout` seconds, asked every 50 ms.
    private func waitFor<T>(timeout: Double, _ probe: () -> T?) -> T? {
        let until = Clock.monotonicMS() + timeout * 1000
        repeat {
            if let found = lock.withLock(probe) { return found }
            Clock.sleep(0.05)
        } while Clock.monotonicMS() < until
        return nil
    }

    func viewReply(ticket: String?, agent: String?, body: String?, isPublic: Bool) throws -> String {
        guard let id = ticket.flatMap({ Int64($0) }), let author = agent.flatMap({ Int64($0) }) else {
            throw RuntimeError(.usage, "a reply needs a ticket and an agent")
        }
        guard let body, !body.trimmed().isEmpty else { throw RuntimeError(.usage, "a reply needs a body") }
        let update: JSON = [
            "ticket": ["comment": ["body": .string(body), "public": .bool(isPublic), "author_id": .int(author)]]
        ]
        let status = try updateTicketAsAgent(id, update)
        let settled = waitForDeliveries(timeout: 10)
        guard status == 200 else { return "Zendesk refused the reply on ticket \(id): HTTP \(status)" }
        var said = "\(isPublic ? "public reply" : "private note") added to ticket \(id)"
        if isPublic {
            // /zendesk/comments may be spooled (acknowledged first): wait for the SMS itself.
            if let sent = waitForSMS(body: body, timeout: 10) {
                said +=
                    "; agent-reply sent it by SMS from \(sent["from"].string ?? "") (\(sent["status"].string ?? ""))"
            } else {
                said += "; no SMS sent yet (not an SMS ticket, or still running: reload)"
            }
        }
        return said + (settled ? "" : "; deliveries still running, reload")
    }

    func viewSolve(ticket: String?) throws -> String {
        guard let id = ticket.flatMap({ Int64($0) }) else { throw RuntimeError(.usage, "solve needs a ticket") }
        let status = try updateTicketAsAgent(id, ["ticket": ["status": "solved"]])
        _ = waitForDeliveries(timeout: 10)
        return status == 200 ? "ticket \(id) solved" : "Zendesk refused to solve ticket \(id): HTTP \(status)"
    }

    /// `PUT /api/v2/tickets/{id}.json` on this sandbox's Zendesk, with the configured agent
    /// credentials, as a person (never faulted); returns the status.
    func updateTicketAsAgent(_ id: Int64, _ update: JSON) throws -> Int {
        let env = functionEnvironment()  // the credentials a function of this sandbox gets
        let email = env[ConfigKey.zendeskEmail] ?? "", token = env[ConfigKey.zendeskAPIToken] ?? ""
        let credentials = Crypto.base64(Array("\(email)/token:\(token)".utf8))
        let request = HTTPRequest(
            "PUT", baseURL + "/zendesk/api/v2/tickets/\(id).json",
            headers: [
                ("Authorization", "Basic " + credentials), ("Content-Type", "application/json"),
                ("X-Sandbox-Actor", "runner"),
            ], body: update.serializedBytes())
        return try Self.oneAttemptClient(seconds: 10).send(request).status
    }
}
