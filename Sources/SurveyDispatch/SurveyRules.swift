import FoundationEssentials
import FunctionRuntime

/// What `survey-dispatch` knows about a ticket when it decides, read live from Zendesk.
public struct SurveyFacts: Sendable {
    /// The ticket as the REST API returns it.
    public var ticket: JSON
    public var requester: JSON?
    public var assignee: JSON?
    /// True when at least one comment is public.
    public var hasPublicComment: Bool
    /// When the ticket was (last) solved (ticket metrics); nil when unknown.
    public var solvedAt: Date?
    /// Zendesk's current time (the `Date` of its answer), else the local clock.
    public var now: Date
    public var agentURL: String

    public init(
        ticket: JSON, requester: JSON? = nil, assignee: JSON? = nil, hasPublicComment: Bool,
        solvedAt: Date? = nil, now: Date, agentURL: String
    ) {
        self.ticket = ticket
        self.requester = requester
        self.assignee = assignee
        self.hasPublicComment = hasPublicComment
        self.solvedAt = solvedAt
        self.now = now
        self.agentURL = agentURL
    }

    public var ticketID: Int64 { ticket["id"].int ?? 0 }
    public var tags: [String] { (ticket["tags"].array ?? []).compactMap { $0.string?.lowercased() } }
}

/// The rule of `survey-dispatch` as a pure function of the facts.
public enum SurveyRules {
    public enum Decision: Sendable, Equatable {
        /// Claim the ticket and POST `body`.
        case dispatch(body: JSON)
        /// Nothing to do; `detail` carries what a person needs (e.g. `due_at`).
        case skip(reason: String, detail: JSON)
    }

    /// Dispatch only when, checked in this order:
    /// 1. the ticket does not carry the survey tag (`already_surveyed`);
    /// 2. it is solved (`not_solved`, `ticket_closed`: a closed ticket cannot be tagged, so a
    ///    survey sent for it could not be recorded and would go out again on every re-delivery);
    /// 3. no claim is held (`claimed`: another delivery is sending it; `stale_claim`: a holder
    ///    never finished, so whether the survey went out is unknown: reported, never re-sent);
    /// 4. it has a public comment (`no_public_comment`);
    /// 5. `delayHours` have passed since it was solved (`too_soon`, with `due_at`); the time is
    ///    `solved_at` from the ticket metrics, else `updated_at`; a reopened ticket is not solved
    ///    and is only due `delayHours` after it is solved again;
    /// 6. the requester has an email (`no_requester_email`).
    public static func decide(_ facts: SurveyFacts, settings: SurveySettings) -> Decision {
        let t = facts.ticket
        let status = t["status"].string?.lowercased() ?? ""
        if facts.tags.contains(settings.tag) { return .skip(reason: "already_surveyed", detail: [:]) }
        if status == "closed" { return .skip(reason: "ticket_closed", detail: [:]) }
        if status != "solved" { return .skip(reason: "not_solved", detail: ["status": .string(status)]) }
        let claims = SurveyClaim.claims(in: facts.tags, surveyTag: settings.tag)
        if let newest = claims.max(by: { $0.epoch < $1.epoch }) {
            let age = facts.now.timeIntervalSince(newest.date)
            let tag = JSON.string(newest.tag(for: settings.tag))
            if age < settings.leaseMinutes * 60 {
                return .skip(reason: "claimed", detail: ["claim": tag])
            }
            return .skip(
                reason: "stale_claim",
                detail: [
                    "claim": tag,
                    "action": .string(
                        "check 2listen for this customer: if the survey went out, add the tag \(settings.tag); if not, remove the tag \(newest.tag(for: settings.tag)) and it is sent again"
                    ),
                ])
        }
        if !facts.hasPublicComment { return .skip(reason: "no_public_comment", detail: [:]) }
        guard let since = facts.solvedAt ?? t["updated_at"].string.flatMap(Clock.parse) else {
            return .skip(reason: "solved_time_unknown", detail: [:])
        }
        let due = since.addingTimeInterval(settings.delayHours * 3600)
        if facts.now < due {
            return .skip(reason: "too_soon", detail: ["due_at": .string(Clock.iso8601(due))])
        }
        guard let email = facts.requester?["email"].nonEmptyString else {
            return .skip(reason: "no_requester_email", detail: [:])
        }
        return .dispatch(body: body(facts, email: email, settings: settings))
    }

    /// The survey body: `name` (the requester's name, else the email's local part), `email`,
    /// `ticket_id`, then the rendered template's members (which may override these).
    public static func body(_ facts: SurveyFacts, email: String, settings: SurveySettings) -> JSON {
        let name = facts.requester?["name"].nonEmptyString ?? String(email.split(separator: "@").first ?? "")
        var body: JSON = ["name": .string(name), "email": .string(email), "ticket_id": .int(facts.ticketID)]
        if let template = settings.template {
            let values = SurveyTemplate.values(
                ticket: facts.ticket, requester: facts.requester, assignee: facts.assignee, agentURL: facts.agentURL)
            body = body.merging(SurveyTemplate.render(template, values: values))
        }
        return body
    }
}
