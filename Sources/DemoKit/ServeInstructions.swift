import FunctionRuntime

/// The "what to try" text `serve` prints: copy-pasteable `curl` commands against the running
/// stack. A pure function of the addresses, the credentials and the ticket the next text lands on.
public struct ServeInstructions: Sendable {
    public var invokerURL: String
    public var sandboxURL: String
    public var zendeskCredentials: String
    public var twilioCredentials: String
    public var twilioAccountSID: String
    /// The ticket the customer's next text lands on (the open SMS ticket, else the next id).
    public var ticketID: Int64
    public var statePath: String?
    public var message = "Hi! My order #1001 has not arrived yet."
    public var reply = "Hi Casey, it ships today and arrives tomorrow."

    public init(
        invokerURL: String, sandboxURL: String, zendeskCredentials: String, twilioCredentials: String,
        twilioAccountSID: String, ticketID: Int64, statePath: String?
    ) {
        self.invokerURL = invokerURL
        self.sandboxURL = sandboxURL
        self.zendeskCredentials = zendeskCredentials
        self.twilioCredentials = twilioCredentials
        self.twilioAccountSID = twilioAccountSID
        self.ticketID = ticketID
        self.statePath = statePath
    }

    /// The command that plays the customer texting the brand (the sandbox's phone).
    public var textCommand: String {
        let body: JSON = [
            "from": .string(DemoAccount.customerPhone), "to": .string(DemoAccount.brandNumber),
            "body": .string(message),
        ]
        return
            "curl -sS -X POST \(sandboxURL)/_ctl/phone/text -H 'Content-Type: application/json' -d \(Self.quoted(body.serialized()))"
    }

    public var ticketCommand: String {
        "curl -sS -u \(Self.quoted(zendeskCredentials)) \(sandboxURL)/zendesk/api/v2/tickets/\(ticketID)/comments.json"
    }

    public var replyCommand: String {
        let body: JSON = [
            "ticket": ["comment": ["body": .string(reply), "public": true, "author_id": .int(DemoAccount.agentID)]]
        ]
        return
            "curl -sS -u \(Self.quoted(zendeskCredentials)) -X PUT \(sandboxURL)/zendesk/api/v2/tickets/\(ticketID).json -H 'Content-Type: application/json' -d \(Self.quoted(body.serialized()))"
    }

    public var smsCommand: String {
        "curl -sS -u \(Self.quoted(twilioCredentials)) \(sandboxURL)/twilio/2010-04-01/Accounts/\(twilioAccountSID)/Messages.json"
    }

    public var solveCommand: String {
        "curl -sS -u \(Self.quoted(zendeskCredentials)) -X PUT \(sandboxURL)/zendesk/api/v2/tickets/\(ticketID).json -H 'Content-Type: application/json' -d '{\"ticket\":{\"status\":\"solved\"}}'"
    }

    public var clockCommand: String {
        "curl -sS -X POST \(sandboxURL)/_ctl/clock -H 'Content-Type: application/json' -d '{\"advance_seconds\":7500}'"
    }

    public var text: String {
        var lines = [
            "",
            "The bundle is running on the built-in sandbox (no accounts needed).",
            "  invoker  \(invokerURL)   (GET /healthz; routes: ./invoke list)",
            "  console  \(invokerURL)/console   (what the bundle did, and what needs a person; Prometheus: /metrics)",
            "  sandbox  \(sandboxURL)   (Zendesk /zendesk, Klaviyo /klaviyo, Twilio /twilio, 2listen /survey, control /_ctl)",
            "  view     \(sandboxURL)/   (open it in a browser: the conversations, tickets, SMS, Klaviyo events and surveys;",
            "           forms to text the brand as the customer and to reply as the agent)",
        ]
        if let statePath { lines.append("  state    \(statePath)   (kept across restarts; delete it to start afresh)") }
        lines += [
            "  demo account: brand \(DemoAccount.brandName) (SMS number \(DemoAccount.brandNumber)), agent \(DemoAccount.agentName),",
            "  customer \(DemoAccount.customerName) (consented SMS subscriber)",
            "",
            "Try it:",
            "1. Text the brand as the customer (the sandbox's phone posts Twilio's signed webhook to /sms/inbound):",
            "   " + textCommand,
            "2. Look at the ticket it opened (the sandbox's Zendesk API, demo credentials):",
            "   " + ticketCommand,
            "3. Reply as the agent (Zendesk delivers the signed ticket.comment_added webhook → agent-reply → one SMS):",
            "   " + replyCommand,
            "4. See the SMS the customer got:",
            "   " + smsCommand,
            "5. Solve the ticket, then move the sandbox clock past the 2 h survey delay (the automations run → 2listen survey):",
            "   " + solveCommand,
            "   " + clockCommand,
            "   curl -sS \(sandboxURL)/_ctl/state    (everything: tickets, SMS, Klaviyo events, surveys, webhook deliveries)",
            "",
            "Ctrl-C stops both servers. ./invoke demo runs the whole conversation scripted.",
            "",
        ]
        return lines.joined(separator: "\n")
    }

    /// `text` in single quotes for a POSIX shell.
    static func quoted(_ text: String) -> String { "'" + text.replacingAll("'", with: "'\\''") + "'" }
}

extension DemoStack {
    /// The instructions for this stack.
    public func instructions(statePath: String?) -> ServeInstructions {
        let facts = SandboxFacts(sandbox.state())
        let open = facts.smsTickets(customer: DemoAccount.customerPhone, brandNumber: DemoAccount.brandNumber)
            .last { $0["status"].string != "closed" }?["id"].int
        let next = max(
            facts.state.at("zendesk.counters.ticket").int ?? 1,
            (facts.tickets.compactMap { $0["id"].int }.max() ?? 0) + 1)
        return ServeInstructions(
            invokerURL: invokerURL, sandboxURL: sandboxURL, zendeskCredentials: zendeskCredentials,
            twilioCredentials: twilioCredentials,
            twilioAccountSID: sandbox.functionEnvironment()[ConfigKey.twilioAccountSID] ?? "AC_test",
            ticketID: open ?? next, statePath: statePath)
    }
}
