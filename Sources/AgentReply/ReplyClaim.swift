import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// The relay of one comment, as recorded on its ticket with tags.
///
/// - `sms_reply_<comment id>`: the relay is done (the SMS went out and its effects were recorded).
///   Tickets relayed by earlier versions carry only this tag too.
/// - `sms_reply_<comment id>_claim_<unix time>_<nonce>`: a delivery claimed the relay (written with
///   `safe_update`) and may be sending it. The nonce tells a delivery its own claim — whose answer
///   may have been lost — from another delivery's.
public struct ReplyClaim: Sendable, Equatable {
    public let commentID: Int64
    /// The tag's time and nonce.
    public let claim: ClaimTag

    public init(commentID: Int64, time: Int64, nonce: String) {
        self.commentID = commentID
        claim = ClaimTag(prefix: Self.claimPrefix(commentID: commentID), epoch: time, nonce: nonce)
    }

    /// A new claim at `now` with a random nonce.
    public static func new(commentID: Int64, at now: Date) -> ReplyClaim {
        let fresh = ClaimTag.new(prefix: claimPrefix(commentID: commentID), at: now)
        return ReplyClaim(commentID: commentID, time: fresh.epoch, nonce: fresh.nonce)
    }

    /// When the claim was taken (Unix seconds).
    public var time: Int64 { claim.epoch }
    public var nonce: String { claim.nonce }
    public var tag: String { claim.tag }
    public var date: Date { claim.date }

    /// `sms_reply_<comment id>`: the relay is done.
    public static func doneTag(commentID: Int64) -> String { "sms_reply_\(commentID)" }

    static func claimPrefix(commentID: Int64) -> String { "sms_reply_\(commentID)_claim_" }

    /// Reads a claim tag of `commentID`; nil for any other tag.
    public init?(tag: String, commentID: Int64) {
        guard let parsed = ClaimTag(tag: tag, prefix: ReplyClaim.claimPrefix(commentID: commentID)) else { return nil }
        self.init(commentID: commentID, time: parsed.epoch, nonce: parsed.nonce)
    }
}

/// Where the relay of a comment stands, read from the ticket's tags.
public enum ReplyClaimState: Sendable, Equatable {
    /// Nobody claimed it.
    case free
    /// Claimed, oldest first (normally one).
    case claimed([ReplyClaim])
    /// Relayed.
    case done
    /// The provider refused it (opted out, invalid number): settled, listed for a person.
    case refused

    /// `sms_reply_<comment id>_refused`.
    public static func refusedTag(commentID: Int64) -> String { "sms_reply_\(commentID)_refused" }

    public init(tags: [String], commentID: Int64) {
        if tags.contains(ReplyClaim.doneTag(commentID: commentID)) { self = .done; return }
        if tags.contains(ReplyClaimState.refusedTag(commentID: commentID)) { self = .refused; return }
        let claims = tags.compactMap { ReplyClaim(tag: $0, commentID: commentID) }.sorted { $0.time < $1.time }
        self = claims.isEmpty ? .free : .claimed(claims)
    }
}

/// What a delivery does about a claim that is not its own.
public enum ForeignClaimAction: Sendable, Equatable {
    /// The provider's record shows every part went out: finish the relay's effects and commit.
    case complete
    /// Another delivery may be sending right now: wait, and answer 75 if it does not finish.
    case wait(secondsLeft: Int)
    /// The claim outlived its lease and the provider's record shows what did not go out: take
    /// the relay over and send the missing parts.
    case takeOver
}

extension ReplyRules {
    /// Decides about a claim that is not this delivery's. `partsFound` is how many parts the
    /// provider's record shows since the claim; a claim younger than `leaseSeconds` belongs to a
    /// delivery that may still be sending.
    public static func foreignClaim(
        _ claim: ReplyClaim, partsFound: Int, partsTotal: Int, now: Date, leaseSeconds: Int
    ) -> ForeignClaimAction {
        if partsFound >= partsTotal { return .complete }
        let age = Int(now.timeIntervalSince(claim.date))
        if age < leaseSeconds { return .wait(secondsLeft: leaseSeconds - age) }
        return .takeOver
    }

    /// The parts that the provider's record shows: part index → index of the record (the
    /// message body) that matches it by exact text, each record used once, in order.
    public static func partsFound(_ parts: [String], bodies: [String]) -> [Int: Int] {
        var used: Set<Int> = []
        var found: [Int: Int] = [:]
        for (i, part) in parts.enumerated() {
            if let k = bodies.indices.first(where: { !used.contains($0) && bodies[$0] == part }) {
                found[i] = k
                used.insert(k)
            }
        }
        return found
    }

    /// True when Klaviyo event properties name a campaign or a flow (a marketing message, not a
    /// conversation reply).
    public static func namesCampaignOrFlow(_ properties: JSON) -> Bool {
        guard let o = properties.object else { return false }
        return o.contains { key, value in
            let k = key.lowercased().replacingAll(" ", with: "_").replacingAll("$", with: "")
            return ["campaign_name", "campaign", "flow_name", "flow"].contains(k) && value.nonEmptyString != nil
        }
    }

    /// The message text in Klaviyo event properties ("Message Body", `message_body`, `body`).
    public static func messageBody(_ properties: JSON) -> String? {
        guard let o = properties.object else { return nil }
        for (key, value) in o
        where ["message_body", "body", "message"].contains(key.lowercased().replacingAll(" ", with: "_")) {
            if let text = value.string { return text }
        }
        return nil
    }
}
