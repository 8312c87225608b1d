import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

/// Where the auto-reply to a sender stands, read from the records of the auto-reply metric on
/// the sender's Klaviyo profile.
public enum AutoReplyClaim: Sendable, Equatable {
    /// No auto-reply to this sender from this brand number within the interval.
    case free
    /// This delivery holds the claim (its record is the earliest): it sends.
    case ours(eventID: String)
    /// Another delivery of this same text holds a claim younger than the lease: it is sending.
    case inFlight
    /// Another delivery of this same text claimed it longer ago than the lease and did not finish
    /// (Twilio's list says whether it sent): this one takes over.
    case stale(eventID: String)
    /// Another text holds it (or was answered within the interval): nothing is sent.
    case taken(messageID: String)
}

/// The auto-responder (seed 003, "SMS ticket settings"): a text ignored as `not_consented` is
/// answered once, from the number texted, at most once per sender and brand number per 24 h,
/// never for keywords (they never reach the consent check) and never to an opted-out number
/// (Twilio refuses it: 21610).
extension InboundRules {
    /// Properties of an auto-reply record.
    public static let autoReplyBrandNumber = "Brand Number"
    public static let autoReplyMessageID = "Message Id"
    /// A random nonce per delivery: tells two deliveries of the same text apart.
    public static let autoReplyClaimNonce = "Claim"
    /// How long a delivery's claim keeps another delivery of the same text from sending.
    public static let autoReplyLease = 60.0

    /// Why a text that was ignored gets no auto-reply, or nil when it may get one.
    public static func autoReplySkip(
        _ ignored: InboundDecision, message m: InboundMessage, settings: SMSSettings
    )
        -> String?
    {
        guard case .ignore(.notConsented, _) = ignored else { return "not_applicable" }
        guard settings.autoResponder != nil else { return "not_configured" }
        guard settings.provider == .twilio else { return "klaviyo_provider" }
        guard PhoneNumber.isDialable(m.to), PhoneNumber.isE164(m.from) else { return "not_a_phone_conversation" }
        return nil
    }

    /// The claim's `unique_id`: the brand number and the interval bucket of `now`. Klaviyo records
    /// one event per profile, metric and `unique_id`, so of two texts racing in the same bucket
    /// only the first record is kept — and both read it back.
    public static func autoReplyUniqueID(brandNumber: String, now: Date, interval: Double) -> String {
        "\(brandNumber):\(Int64((now.timeIntervalSince1970 / interval).rounded(.down)))"
    }

    /// Decides from the auto-reply records of the profile (any order) whether this delivery
    /// (`messageID`, `nonce`) sends: the earliest record for `brandNumber` within `interval` before
    /// `now` holds the claim.
    public static func autoReplyClaim(
        records: [KlaviyoListedEvent], brandNumber: String, messageID: String, nonce: String, now: Date,
        interval: Double, lease: Double = autoReplyLease
    ) -> AutoReplyClaim {
        let mine = records.filter { r in
            guard let at = r.datetime else { return false }
            return r.properties[autoReplyBrandNumber].string == brandNumber && now.timeIntervalSince(at) <= interval
        }
        guard
            let first = mine.min(by: { a, b in
                a.datetime! == b.datetime! ? a.id < b.id : a.datetime! < b.datetime!
            })
        else { return .free }
        if first.properties[autoReplyClaimNonce].string == nonce { return .ours(eventID: first.id) }
        let holder = first.properties[autoReplyMessageID].string ?? ""
        guard holder == messageID else { return .taken(messageID: holder) }
        let age = now.timeIntervalSince(first.datetime!)
        return age < lease ? .inFlight : .stale(eventID: first.id)
    }
}
