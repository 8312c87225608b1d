import FunctionRuntime
import ServiceClients
import SMSCore

/// Why an inbound item opens no ticket activity.
public enum IgnoreReason: String, Sendable, Equatable {
    /// The number texted is an alphanumeric / branded sender id (cannot receive texts).
    case brandedSender = "branded_sender"
    /// An opt-out, opt-in or automation keyword (Klaviyo answers these itself).
    case keyword
    /// The sender is not a consented SMS subscriber.
    case notConsented = "not_consented"
    /// No text and no media.
    case empty
    /// A campaign/flow SMS for a customer without an open SMS ticket.
    case noOpenTicket = "no_open_ticket"
    /// A Klaviyo webhook item of another topic.
    case topic
    /// An outbound Klaviyo item that names no campaign or flow and is the text of an agent's
    /// public comment on the ticket: the reply `agent-reply` relayed (never noted again: no echo).
    case conversationReply = "conversation_reply"
}

/// The live facts of one ticket of a conversation (read by id, not from search).
public struct ConversationTicket: Sendable, Equatable {
    public var id: Int64
    public var status: String
    public var updatedAt: String?
    public var requesterID: Int64?
    public var tags: [String]

    public init(id: Int64, status: String, updatedAt: String? = nil, requesterID: Int64? = nil, tags: [String] = []) {
        self.id = id
        self.status = status
        self.updatedAt = updatedAt
        self.requesterID = requesterID
        self.tags = tags
    }

    public init?(ticket: JSON) {
        guard let id = ticket["id"].int, let status = ticket["status"].string?.lowercased() else { return nil }
        self.init(
            id: id, status: status, updatedAt: ticket["updated_at"].string, requesterID: ticket["requester_id"].int,
            tags: (ticket["tags"].array ?? []).compactMap(\.string))
    }

    public var isClosed: Bool { status == "closed" }

    /// Tagged `InboundRules.fullTag`: the ticket holds Zendesk's maximum of comments, so the
    /// conversation goes on in a new ticket.
    public var isFull: Bool { tags.contains(InboundRules.fullTag) }

    /// Takes the conversation's next text: neither closed nor full.
    public var takesTexts: Bool { !isClosed && !isFull }
}

/// What `sms-inbound` does with one item: the plan the orchestrator executes.
public enum InboundDecision: Sendable, Equatable {
    /// Nothing to do; `detail` says more (e.g. which keyword kind).
    case ignore(IgnoreReason, detail: String? = nil)
    /// The message is already on this ticket (a repeated delivery).
    case duplicate(ticketID: Int64)
    /// Add the text as a public comment by the requester; `reopen` for a solved ticket. The write
    /// is collision-guarded with `stamp` (the ticket's `updated_at` as read).
    case comment(ticketID: Int64, stamp: String?, reopen: Bool)
    /// The conversation's last ticket is closed: open a follow-up of it.
    case followUp(closedTicketID: Int64)
    /// The conversation's last ticket holds Zendesk's maximum of comments: open a new ticket that
    /// continues it (Zendesk links follow-ups to closed tickets only).
    case continuation(fullTicketID: Int64)
    /// No ticket yet: create one.
    case create
    /// Add a campaign/flow SMS as a private note (by the API agent) on this ticket.
    case note(ticketID: Int64, stamp: String?)

    /// The `outcome` this decision reports once carried out.
    public var outcome: String {
        switch self {
        case .ignore: return "ignored"
        case .duplicate: return "duplicate"
        case .comment(_, _, let reopen): return reopen ? "reopened" : "commented"
        case .followUp: return "followup"
        case .continuation: return "continued"
        case .create: return "created"
        case .note: return "noted"
        }
    }
}

/// The rules of `sms-inbound`, as pure functions of the message and the facts read from services.
public enum InboundRules {
    /// Rules that need no service: a branded sender id, keywords, an empty text. Nil: go on.
    public static func screen(_ m: InboundMessage, settings: SMSSettings) -> InboundDecision? {
        if !PhoneNumber.isDialable(m.to) && m.to != "klaviyo" { return .ignore(.brandedSender) }
        // Twilio Advanced Opt-Out is authoritative when it classified the text.
        switch m.optOutType {
        case "STOP": return .ignore(.keyword, detail: KeywordKind.optOut.rawValue)
        case "START": return .ignore(.keyword, detail: KeywordKind.optIn.rawValue)
        case "HELP":
            if m.body.trimmed().isEmpty && m.mediaCount == 0 { return .ignore(.empty) }
            return nil
        default: break
        }
        if let kind = settings.keywords.match(m.body, from: m.from) { return .ignore(.keyword, detail: kind.rawValue) }
        if m.body.trimmed().isEmpty && m.mediaCount == 0 { return .ignore(.empty) }
        return nil
    }

    /// Consent: with Klaviyo, the sender's profile must have SMS marketing or transactional consent
    /// SUBSCRIBED. Without a Klaviyo key (Twilio-only setups) consent is the absence of an
    /// opt-out: opt-out words never get this far, and Twilio refuses replies to opted-out numbers
    /// (21610), so the text is accepted.
    public static func consent(profile: KlaviyoProfile?, settings: SMSSettings) -> InboundDecision? {
        guard settings.hasKlaviyo else { return nil }
        guard let profile, profile.isSMSSubscribed else { return .ignore(.notConsented) }
        return nil
    }

    /// The tag that marks a conversation's ticket full (Zendesk's `Zendesk.commentLimit`
    /// comments): texts go to a new ticket from then on.
    public static let fullTag = "sms_ticket_full"

    /// True when a ticket with `commentCount` comments takes no more (Zendesk's cap).
    public static func isFull(commentCount: Int) -> Bool { commentCount >= Zendesk.commentLimit }

    /// The conversation's current ticket: the one with the lowest id that takes texts (neither
    /// closed nor full; a deterministic winner when a race left more than one).
    public static func activeTicket(_ tickets: [ConversationTicket]) -> ConversationTicket? {
        tickets.filter(\.takesTexts).min { $0.id < $1.id }
    }

    /// Where a text goes, given the conversation's tickets (live) and the ticket that already
    /// records this message id, if any. With no ticket taking texts, the newest ticket decides:
    /// closed → a follow-up of it, full → a continuation of it.
    public static func route(tickets: [ConversationTicket], handledBy: Int64?) -> InboundDecision {
        if let handledBy { return .duplicate(ticketID: handledBy) }
        if let active = activeTicket(tickets) {
            return .comment(ticketID: active.id, stamp: active.updatedAt, reopen: active.status == "solved")
        }
        guard let last = tickets.max(by: { $0.id < $1.id }) else { return .create }
        return last.isClosed ? .followUp(closedTicketID: last.id) : .continuation(fullTicketID: last.id)
    }

    /// Where a campaign/flow SMS goes: a private note on the open SMS ticket, if there is one.
    public static func routeCampaign(active: ConversationTicket?, alreadyNoted: Bool) -> InboundDecision {
        guard let active else { return .ignore(.noOpenTicket) }
        if alreadyNoted { return .duplicate(ticketID: active.id) }
        return .note(ticketID: active.id, stamp: active.updatedAt)
    }

    /// True when an audit list records `messageID` (written as `metadata.custom.sms_message_id`).
    public static func records(_ audits: [JSON], messageID: String) -> Bool {
        audits.contains { $0.at("metadata.custom.sms_message_id").string == messageID }
    }

    /// The subject of a new SMS ticket; one that continues a full ticket names it.
    public static func subject(customerName: String?, phone: String, continuing full: Int64? = nil) -> String {
        let name = customerName?.trimmed() ?? ""
        let who = name.isEmpty ? phone : name
        guard let full else { return "SMS conversation with \(who)" }
        return "SMS conversation with \(who) (continued from #\(full), which reached Zendesk's comment limit)"
    }

    /// The private note for a campaign/flow SMS.
    public static func campaignNote(_ sms: CampaignSMS) -> String {
        "Klaviyo sent this SMS to the customer (\(sms.source)):\n\n" + SMSText.clean(sms.body)
    }

    /// True when `body` (a conversation reply Klaviyo delivered) is the text, or a part of the
    /// text, of one of `agentComments` (the ticket's public comments by others than the customer):
    /// a reply sent from Zendesk. Compared with runs of white space made one space; either way
    /// round, so a part of a long reply matches, and so does a reply Klaviyo added a line to.
    public static func sentFromZendesk(_ body: String, agentComments: [String]) -> Bool {
        func squeezed(_ s: String) -> String {
            s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        }
        let text = squeezed(SMSText.clean(body))
        guard !text.isEmpty else { return true }
        return agentComments.contains { comment in
            let c = squeezed(SMSText.plainText(comment))
            return !c.isEmpty && (c.contains(text) || text.contains(c))
        }
    }

    /// The internal note of a conversation reply sent from Klaviyo's inbox, not from Zendesk.
    public static func inboxReplyNote(_ reply: ConversationReply) -> String {
        "Sent to the customer from Klaviyo (not from Zendesk):\n\n" + SMSText.clean(reply.body)
    }

    /// The internal note of a reply Klaviyo could not deliver.
    public static func undeliveredNote(_ sms: UndeliveredSMS) -> String {
        let why = sms.failureType.map { " (Klaviyo's failure type: \($0))" } ?? ""
        let text = SMSText.clean(sms.body)
        return "SMS not delivered: Klaviyo could not deliver this reply to the customer\(why)."
            + (text.isEmpty ? "" : "\n\n" + text) + "\n\n" + SMSDeliveryFailure.advice
    }
}
