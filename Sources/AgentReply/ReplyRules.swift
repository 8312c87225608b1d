import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

/// Why a comment is not sent.
public enum SkipReason: String, Sendable, Equatable {
    case `private`
    case notAgent = "not_agent"
    case notSMSTicket = "not_sms_ticket"
    /// The comment's author is the ticket's requester (the customer's own text): never echoed.
    case requester
    /// The agent's email equals the customer's (seed rule).
    case sameEmail = "same_email"
    case notConsented = "not_consented"
    /// No text to send (e.g. attachments only).
    case empty
    /// The event is not a comment event.
    case notCommentEvent = "not_comment_event"
    /// The comment no longer exists / none found.
    case noComment = "no_comment"
    /// The ticket does not exist (deleted, or a bad id).
    case ticketNotFound = "ticket_not_found"
}

/// The facts `agent-reply` decides on, read from Zendesk (and Klaviyo).
public struct ReplyFacts: Sendable {
    public var commentPublic: Bool
    public var commentAuthorID: Int64?
    /// The comment as plain text.
    public var commentText: String
    public var attachmentCount: Int
    public var authorRole: String?
    public var authorEmail: String?
    public var requesterID: Int64?
    public var requesterEmail: String?
    public var requesterPhone: String?
    public var tags: [String]
    public var externalID: String?
    /// The customer's Klaviyo profile (nil: none found, or no Klaviyo key).
    public var profile: KlaviyoProfile?

    public init(
        commentPublic: Bool, commentAuthorID: Int64?, commentText: String, attachmentCount: Int = 0,
        authorRole: String?,
        authorEmail: String? = nil, requesterID: Int64?, requesterEmail: String? = nil, requesterPhone: String? = nil,
        tags: [String], externalID: String?, profile: KlaviyoProfile? = nil
    ) {
        self.commentPublic = commentPublic
        self.commentAuthorID = commentAuthorID
        self.commentText = commentText
        self.attachmentCount = attachmentCount
        self.authorRole = authorRole
        self.authorEmail = authorEmail
        self.requesterID = requesterID
        self.requesterEmail = requesterEmail
        self.requesterPhone = requesterPhone
        self.tags = tags
        self.externalID = externalID
        self.profile = profile
    }
}

/// What to send: ordered parts to one customer from one number.
public struct ReplyPlan: Sendable, Equatable {
    public var customer: String
    /// The number the customer texted (from the ticket's `external_id`); nil when unknown.
    public var brandNumber: String?
    public var parts: [String]
    public var segments: Int
    public var encoding: SMSEncoding
    public var attachmentsNotSent: Int
}

public enum ReplyDecision: Sendable, Equatable {
    case skip(SkipReason)
    case send(ReplyPlan)
}

/// The rules of `agent-reply` as pure functions.
public enum ReplyRules {
    /// The conversation a ticket belongs to: its `external_id` `sms:<customer>:<number>`, or — for a
    /// ticket only tagged `sms` — the requester's phone with no known brand number.
    public static func conversation(
        tags: [String], externalID: String?, requesterPhone: String?
    ) -> (customer: String, brandNumber: String?)? {
        if let key = SMSConversationKey(externalID: externalID) { return (key.customer, key.brandNumber) }
        if tags.contains("sms"), let phone = requesterPhone, PhoneNumber.isE164(phone) { return (phone, nil) }
        return nil
    }

    /// Everything short of sending: the skip rules in order, then the plan.
    public static func decide(_ f: ReplyFacts, settings: SMSSettings) -> ReplyDecision {
        if !f.commentPublic { return .skip(.private) }
        guard let conv = conversation(tags: f.tags, externalID: f.externalID, requesterPhone: f.requesterPhone) else {
            return .skip(.notSMSTicket)
        }
        if let a = f.commentAuthorID, a == f.requesterID { return .skip(.requester) }
        let role = (f.authorRole ?? "end-user").lowercased()
        if role != "agent" && role != "admin" { return .skip(.notAgent) }
        if let agentEmail = f.authorEmail?.lowercased(), !agentEmail.isEmpty,
            [f.profile?.email, f.requesterEmail].contains(where: { $0?.lowercased() == agentEmail })
        {
            return .skip(.sameEmail)
        }
        if settings.hasKlaviyo, !(f.profile?.isSMSSubscribed ?? false) { return .skip(.notConsented) }
        let text = SMSText.clean(f.commentText).trimmed()
        if text.isEmpty { return .skip(.empty) }
        return .send(
            plan(text: text, customer: conv.customer, brandNumber: conv.brandNumber, attachments: f.attachmentCount))
    }

    /// Splits the text into ≤ 1600-character parts and counts segments over all parts (UCS-2
    /// when any part needs it).
    public static func plan(text: String, customer: String, brandNumber: String?, attachments: Int) -> ReplyPlan {
        let parts = SMSText.split(text)
        var segments = 0
        var encoding = SMSEncoding.gsm7
        for p in parts {
            let c = SMSSegments.count(for: p)
            segments += c.segments
            if c.encoding == .ucs2 { encoding = .ucs2 }
        }
        return ReplyPlan(
            customer: customer, brandNumber: brandNumber, parts: parts, segments: segments, encoding: encoding,
            attachmentsNotSent: attachments)
    }
}

extension ReplyRules {
    /// The internal note of a reply sent without its attachments: an SMS carries text only, and
    /// no MMS can be sent from Zendesk (Klaviyo help centre, the integration's own article).
    public static func attachmentsNote(commentID: Int64, count: Int) -> String {
        let files = count == 1 ? "its attachment was" : "its \(count) attachments were"
        return """
            SMS sent as text only: the reply in comment \(commentID) reached the customer, but \(files) not \
            sent (an SMS carries text; no MMS can be sent from Zendesk). Share them by another channel if the \
            customer needs them.
            """
    }

    /// The internal note of a reply the provider refused (Twilio 21610 opted out, 21211 invalid
    /// number, Klaviyo's consent refusal, …): it never went out, and a retry cannot help.
    public static func refusalNote(
        commentID: Int64, provider: String, code: String, message: String, partsSent: Int, parts: Int
    ) -> String {
        let name = provider == "twilio" ? "Twilio" : "Klaviyo"
        let what = message.isEmpty ? "" : ": \(message)"
        let sent = partsSent > 0 ? " (\(partsSent) of its \(parts) parts went out before)" : ""
        return """
            SMS not sent: \(name) refused the reply in comment \(commentID)\(sent) — error \(code)\(what). \
            The customer has not received it; check their number or SMS consent, and reply by another channel.
            """
    }

    /// Why an agent's public reply on an SMS ticket that a rule keeps from being sent is one the
    /// agent must hear of (the customer will not get it), with what a person should do; nil for
    /// the skips that are no reply to a customer (private, by the customer, not an SMS ticket, …).
    /// Klaviyo allows replies only to SMS subscribers (help centre, Klaviyo Inbox: "reply rules").
    public static func unsent(_ reason: SkipReason, hasProfile: Bool) -> (why: String, action: String)? {
        switch reason {
        case .notConsented where hasProfile:
            return (
                "the customer is not subscribed to SMS in Klaviyo (no marketing or transactional SMS consent), "
                    + "and replies go only to subscribers",
                "the customer has no SMS consent: reply by another channel"
            )
        case .notConsented:
            return (
                "Klaviyo has no profile with the customer's phone number, so their SMS consent cannot be confirmed",
                "no Klaviyo profile confirms the customer's SMS consent: reply by another channel"
            )
        case .empty:
            return (
                "it has no text, and attachments cannot be sent by SMS",
                "a reply without text cannot go by SMS: add the text, or reply by another channel"
            )
        default: return nil
        }
    }

    /// The internal note of a reply that cannot go out by SMS for a reason of the ticket or the
    /// customer's profile (`why`).
    public static func notSentNote(commentID: Int64, why: String) -> String {
        "SMS not sent: the reply in comment \(commentID) cannot go out by SMS — \(why). The customer has not "
            + "received it; reply by another channel."
    }
}
