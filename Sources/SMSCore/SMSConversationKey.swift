/// Identifies one SMS conversation: a customer's phone and the brand number they texted.
///
/// Recorded on the Zendesk ticket as `external_id` `sms:<customer>:<brand number>` so that replies
/// go out from the number the customer texted.
public struct SMSConversationKey: Sendable, Equatable {
    public let customer: String
    public let brandNumber: String

    public init(customer: String, brandNumber: String) {
        self.customer = customer
        self.brandNumber = brandNumber
    }

    public static let prefix = "sms:"

    /// `sms:<customer>:<brand number>`.
    public var externalID: String { "\(SMSConversationKey.prefix)\(customer):\(brandNumber)" }

    /// Reads an `external_id` written by `externalID`; nil for any other value.
    public init?(externalID: String?) {
        guard let e = externalID, e.hasPrefix(SMSConversationKey.prefix) else { return nil }
        let parts = e.dropFirst(SMSConversationKey.prefix.count).split(
            separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(customer: String(parts[0]), brandNumber: String(parts[1]))
    }

    /// The `Idempotency-Key` for creating this conversation's ticket after `predecessor` (the closed
    /// ticket a follow-up continues; nil for the first ticket). Two first texts racing send the
    /// same key: Zendesk creates one ticket and refuses the other (different body) with
    /// `IdempotentRequestError`, or replays it (same message, same body).
    public func idempotencyKey(after predecessor: Int64?) -> String {
        func token(_ s: String) -> String {
            String(
                s.unicodeScalars.filter {
                    ($0.value >= 48 && $0.value <= 57) || ($0.value >= 65 && $0.value <= 90)
                        || ($0.value >= 97 && $0.value <= 122)
                }
                .map(Character.init))
        }
        return "sms-\(token(customer))-\(token(brandNumber))-\(predecessor.map { "after\($0)" } ?? "first")"
    }
}
