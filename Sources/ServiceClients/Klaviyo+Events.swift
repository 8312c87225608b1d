import FunctionRuntime

/// A Klaviyo event as `POST /api/events` takes it (JSON:API `event` resource).
public struct KlaviyoEvent: Sendable, Equatable {
    /// The metric name, e.g. "Opened Ticket". Klaviyo creates the metric on first use.
    public var metric: String
    /// Profile identifiers: at least one of `email`, `phoneNumber` (E.164) or `externalID`.
    public var email: String?
    public var phoneNumber: String?
    public var externalID: String?
    /// Event properties (≤ 400 keys).
    public var properties: JSON
    /// When it happened (ISO-8601, whole seconds); nil lets Klaviyo use the receipt time.
    public var time: String?
    /// Same profile + metric + `uniqueID` is recorded once: makes a repeated POST harmless.
    public var uniqueID: String?
    /// Recorded without triggering flows (historical imports).
    public var backfill: Bool

    public init(
        metric: String, email: String? = nil, phoneNumber: String? = nil, externalID: String? = nil,
        properties: JSON = [:], time: String? = nil, uniqueID: String? = nil, backfill: Bool = false
    ) {
        self.metric = metric
        self.email = email
        self.phoneNumber = phoneNumber
        self.externalID = externalID
        self.properties = properties
        self.time = time
        self.uniqueID = uniqueID
        self.backfill = backfill
    }

    /// The request body: `{"data":{"type":"event","attributes":{…}}}`. Absent optional members are
    /// left out (never sent as null).
    public var body: JSON {
        var profile: JSON = [:]
        if let email { profile["email"] = .string(email) }
        if let phoneNumber { profile["phone_number"] = .string(phoneNumber) }
        if let externalID { profile["external_id"] = .string(externalID) }
        var attributes: JSON = [
            "properties": properties.object == nil ? [:] : properties,
            "metric": ["data": ["type": "metric", "attributes": ["name": .string(metric)]]],
            "profile": ["data": ["type": "profile", "attributes": profile]],
        ]
        if let time { attributes["time"] = .string(time) }
        if let uniqueID { attributes["unique_id"] = .string(uniqueID) }
        if backfill { attributes["backfill"] = true }
        return ["data": ["type": "event", "attributes": attributes]]
    }
}

extension Klaviyo {
    /// `POST /api/events` (202, no body). With a `uniqueID` the request is marked safe to retry,
    /// and to ride a reused connection (`HTTPRequest.resendable`): Klaviyo records an event with
    /// the same profile, metric and `unique_id` once (Create Event, `unique_id`), and a repeat is
    /// answered 202 with no body like the first. Refusals throw `ServiceError`.
    public func createEvent(_ event: KlaviyoEvent) throws {
        try client.json(
            "POST", "/api/events", body: event.body, contentType: Klaviyo.mediaType,
            retrySafe: event.uniqueID != nil, resendable: event.uniqueID != nil)
    }
}
