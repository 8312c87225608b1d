import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The sandbox's conversation view (`GET /` on the sandbox): the account as a person would look
/// at it, rendered from one `GET /_ctl/state` snapshot.
///
/// - each SMS conversation (a customer and a brand number) with, side by side, what the
///   customer's phone shows (their texts, the agent's replies and the campaign or flow SMS that
///   Twilio and Klaviyo sent) and the Zendesk tickets of that conversation (status, tags, and the
///   thread: customer texts, agent replies, private notes, campaign notes);
/// - the Klaviyo events recorded, the surveys 2listen received, the latest webhook deliveries;
/// - forms to text the brand as a customer, reply as an agent, solve a ticket and move the clock.
///
/// A pure function of the snapshot (and the outcome of the last action, shown once). Everything
/// printed is HTML-escaped; no script, no external asset. It is the sandbox's fictional account,
/// so numbers and addresses are shown as the vendors' own screens show them.
struct ConversationPage {
    let state: JSON
    /// What the last form did, e.g. "text delivered: sms-inbound created ticket 3".
    var flash: String?

    /// One message as a phone shows it.
    struct PhoneMessage {
        var time: Date
        /// True when the customer wrote it.
        var fromCustomer: Bool
        var body: String
        /// "Twilio", "Klaviyo campaign Black Friday", …
        var via: String
        var status: String
    }

    /// A customer and a brand number.
    struct Conversation: Hashable {
        var customer: String
        var brandNumber: String
    }

    static func e(_ s: String) -> String { HTMLText.escape(s) }

    var tickets: [JSON] { state.at("zendesk.tickets").array ?? [] }
    var users: [JSON] { state.at("zendesk.users").array ?? [] }

    func user(_ id: Int64?) -> JSON? { users.first { $0["id"].int == id } }

    /// Every conversation seen in the texts, the SMS sent or the SMS tickets, in order of first sight.
    var conversations: [Conversation] {
        var seen: [Conversation] = []
        func add(_ c: Conversation) { if !seen.contains(c) { seen.append(c) } }
        for t in tickets {
            guard let external = t["external_id"].string, external.hasPrefix("sms:") else { continue }
            let parts = external.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if parts.count == 3 { add(Conversation(customer: parts[1], brandNumber: parts[2])) }
        }
        for m in state.at("twilio.inbound").array ?? [] {
            if let from = m["from"].string, let to = m["to"].string {
                add(Conversation(customer: from, brandNumber: to))
            }
        }
        for m in state.at("twilio.messages").array ?? [] {
            if let from = m["from"].string, let to = m["to"].string {
                add(Conversation(customer: to, brandNumber: from))
            }
        }
        return seen
    }

    /// What the customer's phone shows for `c`, oldest first.
    func phone(_ c: Conversation) -> [PhoneMessage] {
        var out: [PhoneMessage] = []
        for m in state.at("twilio.inbound").array ?? []
        where m["from"].string == c.customer && m["to"].string == c.brandNumber {
            out.append(
                PhoneMessage(
                    time: Self.date(m["date_created"]), fromCustomer: true, body: m["body"].string ?? "",
                    via: "Twilio", status: m["status"].string ?? ""))
        }
        for m in state.at("twilio.messages").array ?? []
        where m["to"].string == c.customer && m["from"].string == c.brandNumber {
            out.append(
                PhoneMessage(
                    time: Self.date(m["date_created"]), fromCustomer: false, body: m["body"].string ?? "",
                    via: "Twilio", status: m["status"].string ?? ""))
        }
        for e in state.at("klaviyo.events").array ?? [] {
            let p = e["properties"]
            let metric = e["metric"].string ?? ""
            if metric == "Received SMS", p["To Number"].string == c.customer, p["From Number"].string == c.brandNumber {
                let source =
                    p["Campaign Name"].string.map { "Klaviyo campaign \($0)" }
                    ?? p["Flow Name"].string.map { "Klaviyo flow \($0)" } ?? "Klaviyo"
                out.append(
                    PhoneMessage(
                        time: Self.date(e["time"]), fromCustomer: false, body: p["Message Body"].string ?? "",
                        via: source, status: "delivered"))
            } else if metric == "Sent SMS", p["From Number"].string == c.customer,
                p["To Number"].string == c.brandNumber
            {
                out.append(
                    PhoneMessage(
                        time: Self.date(e["time"]), fromCustomer: true, body: p["Message Body"].string ?? "",
                        via: "Klaviyo", status: "received"))
            }
        }
        return out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    static func date(_ value: JSON) -> Date {
        guard let s = value.string else { return Date(timeIntervalSince1970: 0) }
        return Clock.parse(s) ?? Clock.parseRFC2822(s) ?? Date(timeIntervalSince1970: 0)
    }

    static func time(_ d: Date) -> String {
        d.timeIntervalSince1970 == 0
            ? "" : String(Clock.iso8601(d).dropFirst(5).prefix(14)).replacingAll("T", with: " ")
    }

    /// `customer`, `agent`, `note` (private) or `campaign-note` (a private attribution note).
    func kind(_ comment: JSON, requester: Int64?) -> String {
        if comment["public"].bool == false {
            let body = comment["body"].string ?? ""
            return body.hasPrefix("Reply to Campaign") || body.hasPrefix("Reply to Flow") ? "campaign-note" : "note"
        }
        return comment["author_id"].int == requester ? "customer" : "agent"
    }

    var html: String {
        var b = "<h1>Sandbox — the demo account</h1>"
        b += "<p id=\"clock\">Sandbox time: <b>\(Self.e(state.at("clock.now").string ?? ""))</b>"
        b += " · <a href=\"/_ctl/state\">state (JSON)</a> · <a href=\"/_ctl/requests\">service requests</a>"
        b += " · <a href=\"/\">reload</a></p>"
        if let flash { b += "<p id=\"flash\" class=\"flash\">\(Self.e(flash))</p>" }
        b += forms
        let list = conversations
        b += "<h2>SMS conversations (\(list.count))</h2>"
        if list.isEmpty { b += "<p>None yet: text the brand with the form above.</p>" }
        for (i, c) in list.enumerated() { b += conversation(c, index: i + 1) }
        b += klaviyoEvents + surveys + deliveries
        return Self.document(b)
    }

    var forms: String {
        let customers = users.filter { $0["role"].string == "end-user" }.compactMap { u -> (String, String)? in
            guard let phone = u["phone"].string else { return nil }
            return (phone, "\(u["name"].string ?? phone) (\(phone))")
        }
        let numbers = EmulatorSupport.strings(state.at("twilio.numbers"))
        let agents = users.filter { $0["role"].string == "agent" || $0["role"].string == "admin" }
        let open = tickets.filter { $0["status"].string != "closed" }
        /// The last item is preselected for agents (the API user is usually the first).
        func options(_ items: [(String, String)], selectLast: Bool = false) -> String {
            items.enumerated().map { i, item in
                let selected = selectLast && i == items.count - 1 ? " selected" : ""
                return "<option value=\"\(Self.e(item.0))\"\(selected)>\(Self.e(item.1))</option>"
            }.joined()
        }
        var b = "<div class=\"forms\">"
        b += "<form id=\"text-form\" method=\"post\" action=\"/_view/text\"><h3>Text the brand</h3>"
        b += "<label>From <select name=\"from\">\(options(customers))</select></label> "
        b += "<label>To <select name=\"to\">\(options(numbers.map { ($0, $0) }))</select></label><br>"
        b +=
            "<textarea name=\"body\" rows=\"2\" cols=\"48\" required></textarea><br><button type=\"submit\">Send text</button></form>"
        b += "<form id=\"reply-form\" method=\"post\" action=\"/_view/reply\"><h3>Reply as the agent</h3>"
        let ticketOptions = open.reversed().map { t in
            (
                String(t["id"].int ?? 0),
                "#\(t["id"].int ?? 0) \(t["subject"].string ?? "") (\(t["status"].string ?? ""))"
            )
        }
        b += "<label>Ticket <select name=\"ticket\">\(options(ticketOptions))</select></label> "
        b +=
            "<label>Agent <select name=\"agent\">\(options(agents.map { (String($0["id"].int ?? 0), $0["name"].string ?? "") }, selectLast: true))</select></label> "
        b += "<label><input type=\"checkbox\" name=\"public\" value=\"1\" checked> public</label><br>"
        b +=
            "<textarea name=\"body\" rows=\"2\" cols=\"48\" required></textarea><br><button type=\"submit\">Send reply</button></form>"
        b += "<form id=\"clock-form\" method=\"post\" action=\"/_view/clock\"><h3>Time</h3>"
        b +=
            "<input type=\"hidden\" name=\"seconds\" value=\"7500\"><button type=\"submit\">Advance 2 h 05 min</button>"
        b += " (Zendesk's automations then run: the survey of a solved ticket)</form></div>"
        return b
    }

    func conversation(_ c: Conversation, index: Int) -> String {
        let customer = users.first { $0["phone"].string == c.customer }
        let name = customer?["name"].string ?? c.customer
        var b = "<section class=\"conversation\" id=\"conversation-\(index)\">"
        b += "<h3>\(Self.e(name)) (\(Self.e(c.customer))) ↔ \(Self.e(c.brandNumber))</h3><div class=\"cols\">"
        b += "<div class=\"phone\"><h4>The customer's phone</h4><ol class=\"sms\">"
        for m in phone(c) {
            b +=
                "<li class=\"\(m.fromCustomer ? "in" : "out")\"><span class=\"meta\">\(Self.time(m.time)) · \(Self.e(m.via)) · \(Self.e(m.status))</span>"
            b += "<span class=\"body\">\(Self.e(m.body))</span></li>"
        }
        b += "</ol></div><div class=\"tickets\"><h4>Zendesk</h4>"
        let external = "sms:\(c.customer):\(c.brandNumber)"
        let mine = tickets.filter { $0["external_id"].string == external }
        if mine.isEmpty { b += "<p>No ticket.</p>" }
        for t in mine { b += ticket(t) }
        return b + "</div></div></section>"
    }

    func ticket(_ t: JSON) -> String {
        let id = t["id"].int ?? 0
        let requester = t["requester_id"].int
        let tags = (t["tags"].array ?? []).compactMap(\.string)
        var b = "<article class=\"ticket\" id=\"ticket-\(id)\" data-status=\"\(Self.e(t["status"].string ?? ""))\">"
        b +=
            "<h5>#\(id) \(Self.e(t["subject"].string ?? "")) <span class=\"status\">\(Self.e(t["status"].string ?? ""))</span></h5>"
        b +=
            "<p class=\"tags\">" + tags.map { "<span class=\"tag\">\(Self.e($0))</span>" }.joined(separator: " ")
            + "</p>"
        b += "<ol class=\"thread\">"
        for comment in t["comments"].array ?? [] {
            let kind = kind(comment, requester: requester)
            let author = user(comment["author_id"].int)?["name"].string ?? "user \(comment["author_id"].int ?? 0)"
            let label =
                [
                    "customer": "customer", "agent": "agent reply", "note": "private note",
                    "campaign-note": "campaign note",
                ][kind] ?? kind
            b +=
                "<li class=\"\(kind)\"><span class=\"meta\">\(Self.time(Self.date(comment["created_at"]))) · \(Self.e(author)) · \(label)</span>"
            b += "<span class=\"body\">\(Self.e(comment["body"].string ?? ""))</span></li>"
        }
        b += "</ol>"
        if t["status"].string != "solved" && t["status"].string != "closed" {
            b += "<form method=\"post\" action=\"/_view/solve\"><input type=\"hidden\" name=\"ticket\" value=\"\(id)\">"
            b += "<button type=\"submit\">Solve #\(id)</button></form>"
        }
        return b + "</article>"
    }

    var klaviyoEvents: String {
        let events = state.at("klaviyo.events").array ?? []
        var b = "<h2>Klaviyo events (\(events.count))</h2>"
        guard !events.isEmpty else { return b + "<p>None.</p>" }
        b +=
            "<table id=\"klaviyo-events\"><tr><th>time</th><th>metric</th><th>profile</th><th>ticket</th><th>unique_id</th></tr>"
        for ev in events.reversed().prefix(100) {
            let p = ev["properties"]
            let ticket =
                p["Ticket_id"].int.map(String.init) ?? p["Ticket_id"].string ?? p["zendesk_ticket_id"].int.map(
                    String.init) ?? ""
            b +=
                "<tr><td>\(Self.time(Self.date(ev["time"])))</td><td class=\"metric\">\(Self.e(ev["metric"].string ?? ""))</td>"
            b +=
                "<td>\(Self.e(ev["profile_id"].string ?? ""))</td><td>\(Self.e(ticket))</td><td>\(Self.e(ev["unique_id"].string ?? ""))</td></tr>"
        }
        return b + "</table>"
    }

    var surveys: String {
        let list = state.at("survey.submissions").array ?? []
        var b = "<h2>Surveys received by 2listen (\(list.count))</h2>"
        guard !list.isEmpty else { return b + "<p>None.</p>" }
        b += "<table id=\"surveys\"><tr><th>time</th><th>ticket</th><th>name</th><th>email</th></tr>"
        for s in list.reversed() {
            let body = s["body"]
            let ticket = body["ticket_id"].int.map(String.init) ?? body["ticket_id"].string ?? ""
            b += "<tr><td>\(Self.time(Self.date(s["time"])))</td><td>\(Self.e(ticket))</td>"
            b += "<td>\(Self.e(body["name"].string ?? ""))</td><td>\(Self.e(body["email"].string ?? ""))</td></tr>"
        }
        return b + "</table>"
    }

    var deliveries: String {
        let list = state["deliveries"].array ?? []
        var b = "<h2>Webhook deliveries (latest \(min(list.count, 30)) of \(list.count))</h2>"
        guard !list.isEmpty else { return b + "<p>None.</p>" }
        b +=
            "<table id=\"deliveries\"><tr><th>queued</th><th>event</th><th>ticket</th><th>endpoint</th><th>outcome</th><th>statuses</th></tr>"
        for d in list.suffix(30).reversed() {
            let statuses = (d["statuses"].array ?? []).map { $0.int.map(String.init) ?? "reset" }.joined(
                separator: ", ")
            b += "<tr><td>\(Self.time(Self.date(d["queued_at"])))</td><td>\(Self.e(d["type"].string ?? ""))</td>"
            b += "<td>\(Self.e(d["ticket_id"].string ?? ""))</td><td>\(Self.e(d["endpoint"].string ?? ""))</td>"
            b += "<td>\(Self.e(d["outcome"].string ?? ""))</td><td>\(Self.e(statuses))</td></tr>"
        }
        return b + "</table>"
    }

    static func document(_ body: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox — conversations</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font:14px system-ui,sans-serif;margin:1.5em;max-width:1200px}
        .forms{display:flex;gap:1.5em;flex-wrap:wrap}.forms form{border:1px solid #ccc;padding:.5em 1em;border-radius:6px}
        .flash{background:#e7f5e7;border:1px solid #8c8;padding:.4em .8em}
        .cols{display:flex;gap:1.5em}.phone{flex:1;max-width:380px}.tickets{flex:2}
        ol{list-style:none;padding:0}li{margin:.35em 0;padding:.35em .6em;border-radius:8px;max-width:90%}
        .meta{display:block;font-size:11px;color:#555}
        .sms li.in{background:#eee}.sms li.out{background:#d8ebff;margin-left:auto}
        .thread li.customer{background:#eee}.thread li.agent{background:#d8ebff}
        .thread li.note{background:#fff6cc}.thread li.campaign-note{background:#f3e3ff}
        .thread .body,.sms .body{white-space:pre-wrap}
        .tag{background:#eef;border-radius:4px;padding:0 4px;font-size:12px}.status{font-size:12px;background:#ddd;padding:0 4px}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
        </style></head><body>\(body)</body></html>
        """
    }
}
