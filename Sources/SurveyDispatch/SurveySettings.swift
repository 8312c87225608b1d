import FunctionRuntime

/// The configuration of `survey-dispatch`.
public struct SurveySettings: Sendable, Equatable {
    /// `SURVEY_TAG` (default `pesquisa2listen_disparada`), lower-cased as Zendesk stores tags:
    /// a ticket carrying it was surveyed.
    public var tag: String
    /// `SURVEY_DELAY_HOURS` (default 2): how long a ticket must have been solved.
    public var delayHours: Double
    /// `SURVEY_BODY_TEMPLATE`: a JSON object whose members are added to the survey body, with
    /// `{{ticket.…}}` placeholders in its strings.
    public var template: JSON?
    /// `SURVEY_CLAIM_LEASE_MINUTES` (default 15): after this a claim whose holder never
    /// finished counts as stale (reported, never re-sent automatically).
    public var leaseMinutes: Double

    public static let defaultTag = "pesquisa2listen_disparada"
    public static let templateKey = "SURVEY_BODY_TEMPLATE"
    public static let leaseKey = "SURVEY_CLAIM_LEASE_MINUTES"

    public init(
        tag: String = SurveySettings.defaultTag, delayHours: Double = 2, template: JSON? = nil,
        leaseMinutes: Double = 15
    ) {
        self.tag = tag.lowercased()
        self.delayHours = delayHours
        self.template = template
        self.leaseMinutes = leaseMinutes
    }

    /// Reads the variables; a malformed value is `.configMissing` naming it.
    public init(config: Config) throws {
        let tag = config.value(ConfigKey.surveyTag, default: SurveySettings.defaultTag).trimmed()
        guard !tag.isEmpty, !tag.contains(where: { $0.isWhitespace || $0 == "," }) else {
            throw RuntimeError(.configMissing, "SURVEY_TAG must be one Zendesk tag (no spaces or commas)")
        }
        let delay = try config.double(ConfigKey.surveyDelayHours, default: 2)
        guard delay >= 0 else { throw RuntimeError(.configMissing, "SURVEY_DELAY_HOURS must not be negative") }
        let lease = try config.double(SurveySettings.leaseKey, default: 15)
        guard lease > 0 else { throw RuntimeError(.configMissing, "\(SurveySettings.leaseKey) must be positive") }
        var template: JSON?
        if let text = config.value(SurveySettings.templateKey) {
            guard let t = try? JSON.parse(text), t.object != nil else {
                throw RuntimeError(.configMissing, "\(SurveySettings.templateKey) must be a JSON object")
            }
            template = t
        }
        self.init(tag: tag, delayHours: delay, template: template, leaseMinutes: lease)
    }
}
