/// Where the account's Twilio numbers should post incoming texts (`SMS_PROVIDER=twilio`).
///
/// A number is pointed at the bundle's `/sms/inbound` when it was named with `--sms-numbers`, or,
/// without that list, when it posts nowhere yet or already to the bundle. A number that posts
/// somewhere else belongs to another application: it is left alone and the plan says how to take
/// it over. `--remove` clears the numbers that post to the bundle.
public enum TwilioNumberPlan {
    public struct Number: Equatable, Sendable {
        public var sid: String
        public var phoneNumber: String
        public var smsURL: String

        public init(sid: String, phoneNumber: String, smsURL: String) {
            self.sid = sid
            self.phoneNumber = phoneNumber
            self.smsURL = smsURL
        }
    }

    public struct Step: Equatable, Sendable {
        public enum Action: String, Sendable { case point = "update", unchanged, leave = "leave", clear = "clear" }
        public var action: Action
        public var number: Number
        /// The SMS URL the number gets (point), or why it is left alone (leave).
        public var detail: String
    }

    /// The route that receives Twilio's inbound webhook.
    public static let route = "/sms/inbound"

    public static func make(numbers: [Number], publicURL: String?, chosen: [String]?, remove: Bool) throws -> [Step] {
        if remove {
            return numbers.filter { isOurs($0.smsURL, publicURL: publicURL) }.map {
                Step(action: .clear, number: $0, detail: "")
            }
        }
        guard let base = publicURL else { return [] }
        let target = base + route
        if let chosen {
            let unknown = chosen.filter { c in !numbers.contains { $0.phoneNumber == c } }
            if !unknown.isEmpty {
                throw SetupError(
                    .usage,
                    "--sms-numbers: \(unknown.joined(separator: ", ")) not in this Twilio account (it has \(numbers.map(\.phoneNumber).joined(separator: ", ")))"
                )
            }
        }
        return numbers.compactMap { n in
            if let chosen, !chosen.contains(n.phoneNumber) { return nil }
            if n.smsURL == target { return Step(action: .unchanged, number: n, detail: target) }
            if chosen != nil || n.smsURL.isEmpty || isOurs(n.smsURL, publicURL: nil) {
                return Step(action: .point, number: n, detail: target)
            }
            return Step(
                action: .leave, number: n,
                detail: "posts to \(n.smsURL); name it with --sms-numbers to point it at the bundle")
        }
    }

    /// A URL the bundle set: the route under the public URL (or, without one, any URL ending in it).
    static func isOurs(_ url: String, publicURL: String?) -> Bool {
        guard !url.isEmpty else { return false }
        if let publicURL { return url == publicURL + route }
        return url.hasSuffix(route)
    }
}
