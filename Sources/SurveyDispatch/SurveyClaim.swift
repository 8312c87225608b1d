import FoundationEssentials
import FunctionRuntime

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

    /// A new claim at `now` with a random 64-bit nonce.
    public static func new(at now: Date) -> SurveyClaim {
        let n = UInt64.random(in: 0...UInt64.max)
        var hex = String(n, radix: 16)
        while hex.count < 16 { hex = "0" + hex }
        return SurveyClaim(epoch: Int64(now.timeIntervalSince1970), nonce: hex)
    }

    public static func prefix(for tag: String) -> String { tag + "_claim_" }

    public func tag(for surveyTag: String) -> String { "\(SurveyClaim.prefix(for: surveyTag))\(epoch)_\(nonce)" }

    public var date: Date { Date(timeIntervalSince1970: Double(epoch)) }

    /// The claims among `tags` (tags with the prefix that do not parse are ignored).
    public static func claims(in tags: [String], surveyTag: String) -> [SurveyClaim] {
        let prefix = prefix(for: surveyTag)
        return tags.compactMap { tag in
            guard tag.hasPrefix(prefix) else { return nil }
            let parts = tag.dropFirst(prefix.count).split(separator: "_")
            guard parts.count == 2, let epoch = Int64(parts[0]), !parts[1].isEmpty else { return nil }
            return SurveyClaim(epoch: epoch, nonce: String(parts[1]))
        }
    }
}
