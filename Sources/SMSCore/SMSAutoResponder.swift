import FunctionRuntime

extension ConfigKey {
    /// The text sent back once to a sender who is not a consented SMS subscriber (Twilio
    /// provider only; unset: no auto-responder). Placeholders `{{organization}}`, `{{email}}`.
    public static let smsAutoresponderText = "SMS_AUTORESPONDER_TEXT"
    /// What `{{organization}}` stands for in the auto-responder text (the brand's name).
    public static let smsOrganization = "SMS_ORGANIZATION"
    /// What `{{email}}` stands for in the auto-responder text (the support address).
    public static let smsSupportEmail = "SMS_SUPPORT_EMAIL"
    /// Klaviyo metric that records an auto-reply on the sender's profile, and claims it (default
    /// `Zendesk SMS Auto-Reply`).
    public static let klaviyoAutoreplyMetric = "KLAVIYO_SMS_AUTOREPLY_METRIC"
}

/// The auto-responder of seed 003 ("SMS ticket settings"): a text sent back to someone who texted
/// without consent, so they know why nobody answers. Klaviyo runs its own for Klaviyo numbers;
/// this one serves Twilio numbers.
public struct SMSAutoResponder: Sendable, Equatable {
    /// The text with its placeholders filled in.
    public var text: String
    /// The Klaviyo metric of the record (and claim) of each auto-reply.
    public var metric: String
    /// At most one auto-reply per sender and brand number within this many seconds (24 h).
    public var intervalSeconds: Double = 86_400

    public static let defaultMetric = "Zendesk SMS Auto-Reply"
    /// The placeholders the text may use.
    public static let placeholders = ["organization", "email"]

    public init(text: String, metric: String = SMSAutoResponder.defaultMetric) {
        self.text = text
        self.metric = metric
    }

    /// Fills `{{organization}}` and `{{email}}` (spaces inside the braces allowed). A placeholder
    /// whose value is not configured, an unknown placeholder, or an empty result is a
    /// configuration error naming the variable to set.
    public static func render(template: String, organization: String?, email: String?) throws -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw SMSError(.badConfiguration, "SMS_AUTORESPONDER_TEXT has a \"{{\" without \"}}\"")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmed().lowercased()
            switch name {
            case "organization":
                guard let organization, !organization.isEmpty else {
                    throw SMSError(
                        .badConfiguration, "SMS_AUTORESPONDER_TEXT uses {{organization}}: set SMS_ORGANIZATION")
                }
                out += organization
            case "email":
                guard let email, !email.isEmpty else {
                    throw SMSError(.badConfiguration, "SMS_AUTORESPONDER_TEXT uses {{email}}: set SMS_SUPPORT_EMAIL")
                }
                out += email
            default:
                throw SMSError(
                    .badConfiguration,
                    "SMS_AUTORESPONDER_TEXT uses {{\(name)}}; the placeholders are {{organization}} and {{email}}")
            }
            rest = rest[close.upperBound...]
        }
        out += rest
        let text = out.trimmed()
        guard !text.isEmpty else { throw SMSError(.badConfiguration, "SMS_AUTORESPONDER_TEXT is empty") }
        guard text.count <= 1600 else {
            throw SMSError(.badConfiguration, "SMS_AUTORESPONDER_TEXT is \(text.count) characters (Twilio takes 1600)")
        }
        return text
    }
}
