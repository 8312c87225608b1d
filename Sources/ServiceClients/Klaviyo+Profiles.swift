import FunctionRuntime

/// A Klaviyo profile with the facts the SMS rules need.
public struct KlaviyoProfile: Sendable, Equatable {
    public let id: String
    public let email: String?
    public let phoneNumber: String?
    public let firstName: String?
    public let lastName: String?
    /// `subscriptions.sms.marketing.consent` (e.g. SUBSCRIBED, UNSUBSCRIBED, NEVER_SUBSCRIBED).
    public let smsMarketingConsent: String?
    /// `subscriptions.sms.transactional.consent`.
    public let smsTransactionalConsent: String?
    /// `predictive_analytics`, when it was asked for (nil otherwise).
    public var predictive: KlaviyoPredictiveAnalytics?

    public init(
        id: String, email: String? = nil, phoneNumber: String? = nil, firstName: String? = nil, lastName: String? = nil,
        smsMarketingConsent: String? = nil, smsTransactionalConsent: String? = nil
    ) {
        self.id = id
        self.email = email
        self.phoneNumber = phoneNumber
        self.firstName = firstName
        self.lastName = lastName
        self.smsMarketingConsent = smsMarketingConsent
        self.smsTransactionalConsent = smsTransactionalConsent
    }

    /// Reads a JSON:API `profile` resource.
    public init?(resource: JSON) {
        guard let id = resource["id"].nonEmptyString else { return nil }
        let a = resource["attributes"]
        self.init(
            id: id, email: a["email"].nonEmptyString, phoneNumber: a["phone_number"].nonEmptyString,
            firstName: a["first_name"].nonEmptyString, lastName: a["last_name"].nonEmptyString,
            smsMarketingConsent: a.at("subscriptions.sms.marketing.consent").nonEmptyString,
            smsTransactionalConsent: a.at("subscriptions.sms.transactional.consent").nonEmptyString)
        if a["predictive_analytics"].object != nil {
            predictive = KlaviyoPredictiveAnalytics(a["predictive_analytics"])
        }
    }

    /// True when marketing or transactional SMS consent is SUBSCRIBED.
    public var isSMSSubscribed: Bool {
        smsMarketingConsent?.uppercased() == "SUBSCRIBED" || smsTransactionalConsent?.uppercased() == "SUBSCRIBED"
    }

    /// "First Last", or nil when the profile has no name.
    public var displayName: String? {
        let name = [firstName, lastName].compactMap { $0 }.joined(separator: " ").trimmed()
        return name.isEmpty ? nil : name
    }
}

extension Klaviyo {
    /// The `additional-fields[profile]` query member: `subscriptions`, plus
    /// `predictive_analytics` when `predictive` (one list, comma-separated: the parameter is not
    /// exploded in Klaviyo's spec).
    static func additionalFields(predictive: Bool) -> String {
        "additional-fields%5Bprofile%5D=subscriptions" + (predictive ? "%2Cpredictive_analytics" : "")
    }

    /// The profile whose `phone_number` equals `phone` (E.164), with its SMS subscriptions
    /// (`GET /api/profiles?filter=equals(phone_number,"…")&additional-fields[profile]=subscriptions`)
    /// and, when `predictive`, its predictive analytics in the same call.
    public func profile(phone: String, predictive: Bool = false) throws -> KlaviyoProfile? {
        let filter = ServiceClient.query("equals(phone_number,\"\(phone)\")")
        let doc = try client.json(
            "GET", "/api/profiles?filter=\(filter)&" + Self.additionalFields(predictive: predictive))
        return (doc["data"].array ?? []).lazy.compactMap { KlaviyoProfile(resource: $0) }.first
    }

    /// `GET /api/profiles/{id}` with SMS subscriptions (and predictive analytics when
    /// `predictive`); nil when Klaviyo answers 404.
    public func profile(id: String, predictive: Bool = false) throws -> KlaviyoProfile? {
        do {
            let doc = try client.json(
                "GET", "/api/profiles/\(ServiceClient.query(id))?" + Self.additionalFields(predictive: predictive))
            return KlaviyoProfile(resource: doc["data"])
        } catch let e as ServiceError where e.code == .notFound {
            return nil
        }
    }
}
