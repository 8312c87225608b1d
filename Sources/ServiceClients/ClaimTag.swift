import FoundationEssentials

/// A claim recorded on a Zendesk ticket as the tag `<prefix><unix seconds>_<nonce>`, added with
/// `safe_update` before a step that must happen once (a survey, an SMS relay). The time says when
/// it was taken; the nonce whose it is, so a writer whose answer was lost recognises its own claim.
public struct ClaimTag: Sendable, Equatable {
    public var prefix: String
    public var epoch: Int64
    public var nonce: String

    public init(prefix: String, epoch: Int64, nonce: String) {
        self.prefix = prefix
        self.epoch = epoch
        self.nonce = nonce
    }

    /// A new claim at `now` with a random 64-bit nonce (hex).
    public static func new(prefix: String, at now: Date) -> ClaimTag {
        var hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        while hex.count < 16 { hex = "0" + hex }
        return ClaimTag(prefix: prefix, epoch: Int64(now.timeIntervalSince1970), nonce: hex)
    }

    public var tag: String { "\(prefix)\(epoch)_\(nonce)" }
    public var date: Date { Date(timeIntervalSince1970: Double(epoch)) }

    /// Reads a claim tag with `prefix`; nil for any other tag (or one that does not parse).
    public init?(tag: String, prefix: String) {
        guard tag.hasPrefix(prefix) else { return nil }
        let parts = tag.dropFirst(prefix.count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, let epoch = Int64(parts[0]), !parts[1].isEmpty else { return nil }
        self.init(prefix: prefix, epoch: epoch, nonce: String(parts[1]))
    }

    /// The claims with `prefix` among `tags`, oldest first.
    public static func all(in tags: [String], prefix: String) -> [ClaimTag] {
        tags.compactMap { ClaimTag(tag: $0, prefix: prefix) }.sorted { $0.epoch < $1.epoch }
    }
}
