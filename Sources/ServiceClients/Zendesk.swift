import FunctionRuntime

/// Zendesk Support REST API (`ZENDESK_URL`, `ZENDESK_EMAIL` + `ZENDESK_API_TOKEN`, or
/// `ZENDESK_OAUTH_TOKEN`). Operations live in `Zendesk+Feature.swift` files.
public struct Zendesk: Sendable {
    public let client: ServiceClient

    public init(config: Config, http: HTTPClient) throws {
        let url = try config.url(ConfigKey.zendeskURL, for: "Zendesk")
        let auth: String
        if let oauth = config.value(ConfigKey.zendeskOAuthToken) {
            auth = "Bearer " + oauth
        } else {
            let email = try config.require(ConfigKey.zendeskEmail, for: "Zendesk API token auth")
            let token = try config.require(ConfigKey.zendeskAPIToken, for: "Zendesk (or set ZENDESK_OAUTH_TOKEN)")
            auth = ServiceClient.basic("\(email)/token", token)
        }
        client = ServiceClient(
            service: "zendesk", baseURL: url, headers: [("Authorization", auth), ("Accept", "application/json")],
            http: http)
    }

    /// The account's agent URL of a ticket (`https://SUB.zendesk.com/agent/tickets/ID`).
    public func agentURL(ticket id: Int64) -> String { client.baseURL + "/agent/tickets/\(id)" }
}

/// Klaviyo REST API (`KLAVIYO_URL`, `KLAVIYO_API_KEY`, `KLAVIYO_REVISION`). JSON:API bodies.
public struct Klaviyo: Sendable {
    public let client: ServiceClient
    public static let mediaType = "application/vnd.api+json"

    public init(config: Config, http: HTTPClient) throws {
        let key = try config.require(ConfigKey.klaviyoAPIKey, for: "Klaviyo")
        client = ServiceClient(
            service: "klaviyo",
            baseURL: try config.url(ConfigKey.klaviyoURL, default: ConfigKey.defaultKlaviyoURL, for: "Klaviyo"),
            headers: [
                ("Authorization", "Klaviyo-API-Key " + key),
                ("revision", config.value(ConfigKey.klaviyoRevision, default: ConfigKey.defaultKlaviyoRevision)),
                ("Accept", Klaviyo.mediaType),
            ],
            http: http)
    }
}

/// Twilio Programmable Messaging (`TWILIO_URL`, `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`).
public struct Twilio: Sendable {
    public let client: ServiceClient
    public let accountSID: String

    public init(config: Config, http: HTTPClient) throws {
        accountSID = try config.require(ConfigKey.twilioAccountSID, for: "Twilio")
        let token = try config.require(ConfigKey.twilioAuthToken, for: "Twilio")
        client = ServiceClient(
            service: "twilio",
            baseURL: try config.url(ConfigKey.twilioURL, default: ConfigKey.defaultTwilioURL, for: "Twilio"),
            headers: [("Authorization", ServiceClient.basic(accountSID, token)), ("Accept", "application/json")],
            http: http)
    }

    /// `/2010-04-01/Accounts/{sid}/Messages.json`.
    public var messagesPath: String { "/2010-04-01/Accounts/\(accountSID)/Messages.json" }
}

/// The 2listen survey endpoint (`SURVEY_URL`, Basic `SURVEY_EMAIL/token` : `SURVEY_TOKEN`).
public struct Survey: Sendable {
    public let client: ServiceClient

    public init(config: Config, http: HTTPClient) throws {
        let url = try config.url(ConfigKey.surveyURL, for: "2listen survey dispatch")
        let email = try config.require(ConfigKey.surveyEmail, for: "2listen survey dispatch")
        let token = try config.require(ConfigKey.surveyToken, for: "2listen survey dispatch")
        client = ServiceClient(
            service: "survey", baseURL: url,
            headers: [("Authorization", ServiceClient.basic("\(email)/token", token)), ("Accept", "application/json")],
            http: http)
    }
}
