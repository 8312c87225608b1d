import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// A claim on a ticket's survey: the tag `<SURVEY_TAG>_claim_<unix seconds>_<nonce>` added with
/// `safe_update` before the survey is sent. The time says when it was taken (Zendesk's clock),
/// the nonce whose it is (so a writer whose answer was lost can recognise its own claim).
public struct SurveyClaim: Sendable, Equatable {
    public var epoch: Int64
    public var nonce: String

    public init(epoch: Int64, nonce: String) {
        self.epoch = epoch
        self.nonce = nonce
    }

    init(_ claim: ClaimTag) { self.init(epoch: claim.epoch, nonce: claim.nonce) }

    /// A new claim at `now` with a random 64-bit nonce.
    public static func new(at now: Date) -> SurveyClaim { SurveyClaim(ClaimTag.new(prefix: "", at: now)) }

    public static func prefix(for tag: String) -> String { tag + "_claim_" }

    public func tag(for surveyTag: String) -> String {
        ClaimTag(prefix: Self.prefix(for: surveyTag), epoch: epoch, nonce: nonce).tag
    }

    public var date: Date { Date(timeIntervalSince1970: Double(epoch)) }

    /// The claims among `tags` (tags with the prefix that do not parse are ignored).
    public static func claims(in tags: [String], surveyTag: String) -> [SurveyClaim] {
        tags.compactMap { ClaimTag(tag: $0, prefix: prefix(for: surveyTag)).map(SurveyClaim.init) }
    }
}
