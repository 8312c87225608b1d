import FoundationEssentials
import FunctionRuntime
import SandboxKit

/// The scripted conversation of `./invoke demo`, end to end through the invoker over HTTP with
/// real signatures: every function call is a webhook the sandbox delivers (Twilio's signed
/// inbound-message webhook from its "phone"; Zendesk's signed event-subscription and automation
/// webhooks), answered by the invoker running the functions as processes.
///
/// 1. The customer texts the brand's number → sms-inbound opens a ticket whose first comment is
///    the requester's; ticket.created → ticket-metrics → Klaviyo "Opened Ticket".
/// 2. An agent replies publicly → ticket.comment_added → agent-reply → exactly one SMS to the
///    customer, from the number they texted.
/// 3. The agent solves the ticket → no survey yet; the sandbox clock moves past the 2 h delay and
///    the automations run → the survey automation calls /survey/dispatch → one 2listen survey and
///    the survey tag on the ticket.
/// 4. A day later the close automation closes the ticket → ticket.status_changed →
///    ticket-metrics → Klaviyo "Resolved Ticket".
///
/// Each step checks the sandbox's state and throws `DemoError(.step, …)` naming the step when
/// something did not happen.
public struct DemoScript {
    public let stack: DemoStack
    public let write: (String) -> Void
    public var text = "Hi! My order #1001 hasn't arrived yet. Can you check?"
    public var reply = "Hi Casey, it left our warehouse this morning and arrives tomorrow."
    /// The survey tag survey-dispatch adds (its default).
    public var surveyTag = "pesquisa2listen_disparada"
    /// Seconds to wait for the webhook deliveries of one step.
    public var deliveryTimeout: Double = 60

    public init(stack: DemoStack, write: @escaping (String) -> Void) {
        self.stack = stack
        self.write = write
    }

    /// What the demo produced.
    public struct Result: Sendable {
        public var ticketID: Int64
        public var steps: [String]
    }

    public func run() throws -> Result {
        var steps: [String] = []
        let ticket = try customerTexts()
        steps.append("customer texts → ticket")
        try agentReplies(ticket)
        steps.append("agent replies → SMS")
        try solvedThenSurveyed(ticket)
        steps.append("solved → survey after the delay")
        try closedThenResolved(ticket)
        steps.append("closed → Resolved Ticket")
        write("")
        write("Demo passed: \(steps.count) steps, ticket #\(ticket).")
        return Result(ticketID: ticket, steps: steps)
    }

    // MARK: Steps

    func customerTexts() throws -> Int64 {
        let step = "step 1 (customer texts → ticket)"
        write(
            "1. \(DemoAccount.customerName), a consented SMS subscriber, texts the \(DemoAccount.brandName) number \(DemoAccount.brandNumber):"
        )
        write("   \"\(text)\"")
        let answer = try stack.control(
            "POST", "/phone/text",
            [
                "from": .string(DemoAccount.customerPhone),
                "to": .string(DemoAccount.brandNumber), "body": .string(text),
            ])
        let result = answer.json["response"]
        guard answer.status == 200, answer.json["delivered"].bool == true else {
            throw DemoError(
                .step,
                "\(step): the signed Twilio webhook to /sms/inbound was not accepted: \(answer.status) \(answer.text)")
        }
        write(
            "   → Twilio webhook (X-Twilio-Signature) → POST /sms/inbound → sms-inbound: \(result["outcome"].string ?? "?")"
        )
        try settle(step)
        let facts = self.facts()
        guard
            let ticket = facts.smsTickets(customer: DemoAccount.customerPhone, brandNumber: DemoAccount.brandNumber)
                .last(where: { $0["status"].string != "closed" }), let id = ticket["id"].int
        else {
            throw DemoError(
                .step,
                "\(step): no open SMS ticket for the customer in the sandbox's Zendesk (sms-inbound answered \(result.serialized()))"
            )
        }
        guard let comment = facts.comments(id).last(where: { ($0["body"].string ?? "").contains(text) }) else {
            throw DemoError(.step, "\(step): ticket #\(id) has no comment with the text")
        }
        guard comment["author_id"].int == ticket["requester_id"].int,
            ticket["requester_id"].int == DemoAccount.customerID
        else {
            throw DemoError(
                .step,
                "\(step): the comment on ticket #\(id) is by user \(comment["author_id"]), not the requester \(DemoAccount.customerName)"
            )
        }
        guard facts.tags(id).contains("sms") else { throw DemoError(.step, "\(step): ticket #\(id) is not tagged sms") }
        write(
            "   → ticket #\(id) \"\(ticket["subject"].string ?? "")\" (\(ticket["status"].string ?? "")), comment by the requester \(DemoAccount.customerName), tags \(facts.tags(id).joined(separator: " "))"
        )
        guard facts.klaviyoEvents("Opened Ticket", ticket: id).count == 1 else {
            throw DemoError(
                .step,
                "\(step): no Klaviyo \"Opened Ticket\" event for ticket #\(id) (ticket.created → /zendesk/tickets → brand-filter | ticket-metrics); deliveries: \(deliverySummary(facts))"
            )
        }
        write(
            "   → Zendesk webhook ticket.created (X-Zendesk-Webhook-Signature) → POST /zendesk/tickets → brand-filter | ticket-metrics"
        )
        write("   → Klaviyo event \"Opened Ticket\" for ticket #\(id)")
        return id
    }

    func agentReplies(_ id: Int64) throws {
        let step = "step 2 (agent replies → SMS)"
        let before = facts().sentSMS.count
        write("")
        write("2. \(DemoAccount.agentName) replies publicly on ticket #\(id) (Zendesk API):")
        write("   \"\(reply)\"")
        let r = try stack.zendesk(
            "PUT", "/api/v2/tickets/\(id).json",
            ["ticket": ["comment": ["body": .string(reply), "public": true, "author_id": .int(DemoAccount.agentID)]]])
        guard r.status == 200 else {
            throw DemoError(.step, "\(step): the Zendesk API refused the comment: \(r.status) \(r.text)")
        }
        try settle(step)
        let facts = self.facts()
        let sent = Array(facts.sentSMS.dropFirst(before))
        guard sent.count == 1, let sms = sent.first else {
            throw DemoError(
                .step,
                "\(step): expected exactly one SMS, the sandbox's Twilio sent \(sent.count); deliveries: \(deliverySummary(facts))"
            )
        }
        guard sms["to"].string == DemoAccount.customerPhone, sms["from"].string == DemoAccount.brandNumber else {
            throw DemoError(.step, "\(step): the SMS did not go from the number the customer texted to the customer")
        }
        guard sms["body"].string == reply else {
            throw DemoError(.step, "\(step): the SMS says \(sms["body"]), not the reply")
        }
        write("   → Zendesk webhook ticket.comment_added → POST /zendesk/comments → agent-reply")
        write(
            "   → one SMS from \(DemoAccount.brandNumber) (the number \(DemoAccount.customerFirstName) texted) to \(DemoAccount.customerFirstName), \(sms["num_segments"].string ?? "1") segment(s)"
        )
    }

    func solvedThenSurveyed(_ id: Int64) throws {
        let step = "step 3 (solved → survey after the delay)"
        let surveysBefore = facts().surveys.count
        write("")
        write("3. \(DemoAccount.agentName) solves ticket #\(id).")
        let r = try stack.zendesk("PUT", "/api/v2/tickets/\(id).json", ["ticket": ["status": "solved"]])
        guard r.status == 200 else {
            throw DemoError(.step, "\(step): the Zendesk API refused to solve: \(r.status) \(r.text)")
        }
        try settle(step)
        _ = try stack.control("POST", "/zendesk/run-automations")
        try settle(step)
        guard facts().surveys.count == surveysBefore else {
            throw DemoError(.step, "\(step): a survey went out before the 2 h delay")
        }
        write("   → automations run at once: no survey yet (2 h delay)")
        let advance = 2 * 3600 + 5 * 60
        let clock = try stack.control("POST", "/clock", ["advance_seconds": .int(Int64(advance))])
        guard clock.status == 200 else {
            throw DemoError(.step, "\(step): moving the sandbox clock failed: \(clock.status) \(clock.text)")
        }
        write("   → sandbox clock +2 h 05 min; the Zendesk automations run (as hourly in Zendesk)")
        try settle(step)
        let facts = self.facts()
        let surveys = facts.surveys.dropFirst(surveysBefore)
        guard surveys.count == 1, let survey = surveys.first else {
            throw DemoError(
                .step,
                "\(step): expected one 2listen survey, found \(surveys.count); deliveries: \(deliverySummary(facts))")
        }
        guard survey["body"]["email"].string == DemoAccount.customerEmail else {
            throw DemoError(.step, "\(step): the survey was not addressed to the requester")
        }
        guard facts.tags(id).contains(surveyTag) else {
            throw DemoError(
                .step,
                "\(step): ticket #\(id) lacks the survey tag \(surveyTag) (tags: \(facts.tags(id).joined(separator: " ")))"
            )
        }
        write("   → survey automation webhook → POST /survey/dispatch → survey-dispatch")
        write("   → 2listen survey for \(DemoAccount.customerFirstName); ticket #\(id) tagged \(surveyTag)")
    }

    func closedThenResolved(_ id: Int64) throws {
        let step = "step 4 (closed → Resolved Ticket)"
        write("")
        write("4. A day passes: the automation \"Close SMS tickets 24 h after solved\" closes ticket #\(id).")
        let clock = try stack.control("POST", "/clock", ["advance_seconds": .int(25 * 3600)])
        guard clock.status == 200 else {
            throw DemoError(.step, "\(step): moving the sandbox clock failed: \(clock.status) \(clock.text)")
        }
        write("   → sandbox clock +25 h; the Zendesk automations run")
        try settle(step)
        let facts = self.facts()
        guard facts.ticket(id)?["status"].string == "closed" else {
            throw DemoError(
                .step, "\(step): ticket #\(id) is \(facts.ticket(id)?["status"].string ?? "missing"), not closed")
        }
        guard facts.klaviyoEvents("Resolved Ticket", ticket: id).count == 1 else {
            throw DemoError(
                .step,
                "\(step): no Klaviyo \"Resolved Ticket\" event for ticket #\(id); deliveries: \(deliverySummary(facts))"
            )
        }
        guard facts.klaviyoEvents("Opened Ticket", ticket: id).count == 1 else {
            throw DemoError(
                .step,
                "\(step): \"Opened Ticket\" for ticket #\(id) was recorded \(facts.klaviyoEvents("Opened Ticket", ticket: id).count) times"
            )
        }
        guard facts.sentSMS.count == 1, facts.surveys.count == 1 else {
            throw DemoError(
                .step,
                "\(step): after the whole conversation \(facts.sentSMS.count) SMS and \(facts.surveys.count) surveys went out (expected 1 and 1)"
            )
        }
        write(
            "   → Zendesk webhook ticket.status_changed (CLOSED) → POST /zendesk/tickets → brand-filter | ticket-metrics"
        )
        write("   → Klaviyo event \"Resolved Ticket\" for ticket #\(id)")
    }

    // MARK: Helpers

    func facts() -> SandboxFacts { SandboxFacts(stack.sandbox.state()) }

    /// Waits until the sandbox has delivered every queued webhook (each answered by a function).
    func settle(_ step: String) throws {
        guard stack.sandbox.waitForDeliveries(timeout: deliveryTimeout) else {
            throw DemoError(.step, "\(step): webhook deliveries still running after \(Int(deliveryTimeout)) s")
        }
    }

    /// `type → endpoint path: outcome status` for each delivery, for failure messages.
    func deliverySummary(_ facts: SandboxFacts) -> String {
        let parts = facts.deliveries.map { d -> String in
            let path = HTTPClient.pathOf(d["endpoint"].string ?? "")
            return
                "\(d["type"].string ?? "?") → \(path): \(d["outcome"].string ?? "?") \(d["status"].int.map(String.init) ?? "-")"
        }
        return parts.isEmpty ? "none" : parts.joined(separator: "; ")
    }
}
