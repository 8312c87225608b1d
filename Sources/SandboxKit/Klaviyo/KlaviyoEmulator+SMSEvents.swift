import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Klaviyo's own SMS metrics, and reading events back: `GET /api/events`, `GET /api/metrics`.
///
/// Klaviyo names SMS metrics from the profile's side (help centre, "SMS Metrics"):
/// - **Sent SMS** (`event:klaviyo.sent_sms`): someone texted the brand's number — inbound;
/// - **Received SMS** (`event:klaviyo.received_sms`): a message of the brand (campaign, flow, or a
///   conversation reply) reached the recipient — outbound;
/// - **Failed to Deliver SMS** (`event:klaviyo.failed_to_deliver_sms`): such a message was sent but
///   did not reach the recipient, with its `Failure Type`.
///
/// Each is recorded as an event of the profile (so `GET /api/events` finds it) and posted to the
/// system webhooks subscribed to its topic, as an item whose `payload` has the shape of a Get
/// Event answer.
extension KlaviyoEmulator {
    public static let sentSMSMetric = "Sent SMS"
    public static let receivedSMSMetric = "Received SMS"
    public static let sentSMSTopic = "event:klaviyo.sent_sms"
    public static let receivedSMSTopic = "event:klaviyo.received_sms"
    public static let failedSMSMetric = "Failed to Deliver SMS"
    public static let failedSMSTopic = "event:klaviyo.failed_to_deliver_sms"
    /// Klaviyo's own SMS metrics: listed even before they have events, and marked as Klaviyo's.
    static let klaviyoSMSMetrics = [sentSMSMetric, receivedSMSMetric, failedSMSMetric]

    /// The stable metric id of a metric name (Klaviyo ids are six alphanumerics).
    static func metricID(_ name: String) -> String {
        var h: UInt64 = 1_469_598_103_934_665_603
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var id = ""
        for _ in 0..<6 { id.append(alphabet[Int(h % UInt64(alphabet.count))]); h /= UInt64(alphabet.count) }
        return id
    }

    /// Records one of Klaviyo's SMS metrics for `profile`; returns the system-webhook item
    /// `{"external_id","topic","payload"}` for its topic.
    func recordSMSMetric(
        _ metric: String, profile: JSON, properties: JSON, at date: Date? = nil, context: EmulatorContext
    ) -> JSON {
        let eventID = EmulatorSupport.klaviyoID()
        let profileID = profile["id"].string ?? ""
        let when = date ?? context.now
        let time = Clock.iso8601(when)
        storeEvent(
            id: eventID, metric: metric, profileID: profileID, properties: properties, time: time, uniqueID: eventID,
            backfill: false, received: time)
        context.log("klaviyo \"\(metric)\" recorded for profile \(profileID)")
        var attributes = profile.object ?? [:]
        attributes["id"] = nil
        attributes["subscriptions"] = nil
        attributes["predictive_analytics"] = nil
        let payload: JSON = [
            "data": [
                "type": "event", "id": .string(eventID),
                "attributes": [
                    "timestamp": .int(Int64(when.timeIntervalSince1970)), "datetime": .string(time),
                    "uuid": .string(EmulatorSupport.uuid()), "event_properties": properties,
                ],
                "relationships": [
                    "profile": ["data": ["type": "profile", "id": .string(profileID)]],
                    "metric": ["data": ["type": "metric", "id": .string(Self.metricID(metric))]],
                ],
            ],
            "included": [["type": "profile", "id": .string(profileID), "attributes": .object(attributes)]],
        ]
        let topic =
            [Self.sentSMSMetric: Self.sentSMSTopic, Self.failedSMSMetric: Self.failedSMSTopic][metric]
            ?? Self.receivedSMSTopic
        return ["external_id": .string(eventID), "topic": .string(topic), "payload": payload]
    }

    /// A customer texted the Klaviyo number of a conversation: "Sent SMS" (kept in `received_sms`
    /// too, the sandbox's list of customer texts).
    public func recordCustomerText(
        conversation: JSON, profile: JSON, body: String, mediaURLs: [String], context: EmulatorContext
    ) -> JSON {
        let properties: JSON = [
            "Message Body": .string(body), "From Number": profile["phone_number"], "To Number": conversation["number"],
            "Conversation Id": conversation["id"], "Media Urls": JSON(mediaURLs),
            "Num Media": .int(Int64(mediaURLs.count)),
        ]
        let item = recordSMSMetric(Self.sentSMSMetric, profile: profile, properties: properties, context: context)
        received.append([
            "id": item["external_id"], "conversation_id": conversation["id"], "profile_id": profile["id"],
            "body": .string(body),
            "from_number": profile["phone_number"], "to_number": conversation["number"], "media_urls": JSON(mediaURLs),
            "created": .string(context.nowISO),
        ])
        return item
    }

    /// A message of the brand reached the customer: "Received SMS" — or, to a phone seeded as
    /// unreachable, "Failed to Deliver SMS" with its `Failure Type` (help centre, "SMS Metrics").
    /// `source` names the campaign (`["Campaign Name": …]`) or flow (`["Flow Name": …]`); a
    /// conversation reply names neither.
    func recordDelivered(
        profile: JSON, from number: JSON, body: String, source: JSON, at date: Date? = nil, context: EmulatorContext
    ) -> JSON {
        var properties: JSON = [
            "Message Body": .string(body), "From Number": number, "To Number": profile["phone_number"],
        ]
        for (k, v) in source.object ?? [:] { properties[k] = v }
        let failure = profile["phone_number"].string.flatMap { unreachable[$0] }
        if let failure { properties["Failure Type"] = .string(failure) }
        let item = recordSMSMetric(
            failure == nil ? Self.receivedSMSMetric : Self.failedSMSMetric, profile: profile, properties: properties,
            at: date, context: context)
        context.emitKlaviyoWebhook(item)
        return item
    }

    /// `POST /_ctl/klaviyo/sms` (control API): a campaign or flow SMS reaches a profile
    /// `{"profile_id"|"phone", "body", "campaign"|"flow", "seconds_ago"?}` (`seconds_ago`: it
    /// reached them that long ago — recorded with that time, its webhook posted now).
    public func sendMarketingSMS(_ spec: JSON, context: EmulatorContext) throws -> JSON {
        let byID = spec["profile_id"].string.flatMap { self.profile(id: $0) }
        guard
            let profile = byID
                ?? spec["phone"].string.flatMap({ phone in profiles.first { $0["phone_number"].string == phone } })
        else {
            throw RuntimeError(.usage, "name a seeded profile by profile_id or phone")
        }
        guard let body = spec["body"].nonEmptyString else { throw RuntimeError(.usage, "body is required") }
        let source: JSON
        if let c = spec["campaign"].nonEmptyString {
            source = ["Campaign Name": .string(c)]
        } else if let f = spec["flow"].nonEmptyString {
            source = ["Flow Name": .string(f)]
        } else {
            throw RuntimeError(.usage, "name the campaign or the flow")
        }
        var at: Date?
        if !spec["seconds_ago"].isNull {
            guard let ago = spec["seconds_ago"].double, ago >= 0 else {
                throw RuntimeError(.usage, "seconds_ago must be a number of seconds, 0 or more")
            }
            at = context.now.addingTimeInterval(-ago)
        }
        let number = conversations.first { $0["profile_id"] == profile["id"] }?["number"] ?? "+15550000000"
        return recordDelivered(profile: profile, from: number, body: body, source: source, at: at, context: context)
    }

    // MARK: - Reading events

    /// `GET /api/metrics`: the metrics that have events.
    func listMetrics(_ request: ServerRequest) -> ServerResponse {
        var names = Self.klaviyoSMSMetrics
        for e in events { if let m = e["metric"].string, !names.contains(m) { names.append(m) } }
        let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
        let data: [JSON] = names.map { metricResource($0, base: base) }
        return Self.document(
            200,
            ["data": .array(data), "links": ["self": .string("\(base)/api/metrics/"), "next": .null, "prev": .null]])
    }

    /// The JSON:API resource of the metric `name`.
    func metricResource(_ name: String, base: String) -> JSON {
        let id = Self.metricID(name)
        let klaviyoOwned = Self.klaviyoSMSMetrics.contains(name)
        return [
            "type": "metric", "id": .string(id),
            "attributes": [
                "name": .string(name), "created": "2026-01-01T00:00:00+00:00",
                "updated": "2026-01-01T00:00:00+00:00",
                "integration": klaviyoOwned
                    ? [
                        "object": "integration", "id": "0rG4eQ", "key": "klaviyo", "name": "Klaviyo",
                        "category": "Internal",
                    ]
                    : [
                        "object": "integration", "id": "7FtS4J", "key": "api",
                        "name": "API", "category": "API",
                    ],
            ],
            "relationships": [
                "flow-triggers": [
                    "links": [
                        "self": .string("\(base)/api/metrics/\(id)/relationships/flow-triggers/"),
                        "related": .string("\(base)/api/metrics/\(id)/flow-triggers/"),
                    ]
                ]
            ],
            "links": ["self": .string("\(base)/api/metrics/\(id)/")],
        ]
    }

    /// `GET /api/events`: `filter` with `equals(metric_id,"…")`, `equals(profile_id,"…")` and
    /// `greater-than` / `greater-or-equal` / `less-than` / `less-or-equal` on `datetime`, joined by
    /// commas (all must hold); `sort` `datetime` / `-datetime`; `page[size]` 1–1000 (default 200).
    func listEvents(_ request: ServerRequest) throws -> ServerResponse {
        var found = events
        if let filter = request.queryValue("filter") {
            for term in try Self.filterTerms(filter) {
                switch (term.op, term.field) {
                case ("equals", "metric_id"):
                    found = found.filter { Self.metricID($0["metric"].string ?? "") == term.value }
                case ("equals", "profile_id"): found = found.filter { $0["profile_id"].string == term.value }
                case (let op, "datetime"):
                    guard let bound = Clock.parse(term.value) else {
                        throw KlaviyoError(400, "Invalid datetime '\(term.value)' in filter.", parameter: "filter")
                    }
                    found = found.filter { e in
                        guard let t = e["time"].string.flatMap(Clock.parse) else { return false }
                        switch op {
                        case "greater-than": return t > bound
                        case "greater-or-equal": return t >= bound
                        case "less-than": return t < bound
                        default: return t <= bound
                        }
                    }
                default:
                    throw KlaviyoError(
                        400, "Filter operation '\(term.op)' is not allowed for field '\(term.field)'.",
                        parameter: "filter")
                }
            }
        }
        let sort = request.queryValue("sort") ?? "datetime"
        guard ["datetime", "-datetime", "timestamp", "-timestamp"].contains(sort) else {
            throw KlaviyoError(400, "'\(sort)' is not a valid sort field for events.", parameter: "sort")
        }
        found = found.enumerated().sorted { a, b in
            let (ta, tb) = (a.element["time"].string ?? "", b.element["time"].string ?? "")
            if ta == tb { return sort.hasPrefix("-") ? a.offset > b.offset : a.offset < b.offset }
            return sort.hasPrefix("-") ? ta > tb : ta < tb
        }.map(\.element)
        var size = 200
        if let s = request.queryValue("page[size]") {
            guard let n = Int(s), (1...1000).contains(n) else {
                throw KlaviyoError(400, "page[size] must be between 1 and 1000.", parameter: "page[size]")
            }
            size = n
        }
        let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
        let page = Array(found.prefix(size))
        var document: JSON = [
            "data": .array(page.map { eventResource($0, base: base) }),
            "links": ["self": .string("\(base)/api/events/"), "next": .null, "prev": .null],
        ]
        if try Self.includes(request).contains("metric") {
            var names: [String] = []
            for e in page { if let m = e["metric"].string, !names.contains(m) { names.append(m) } }
            document["included"] = .array(names.map { metricResource($0, base: base) })
        }
        return Self.document(200, document)
    }

    /// The JSON:API resource of a recorded event.
    func eventResource(_ e: JSON, base: String) -> JSON {
        let id = e["id"].string ?? ""
        let time = e["time"].string ?? ""
        let timestamp = Clock.parse(time).map { Int64($0.timeIntervalSince1970) } ?? 0
        return [
            "type": "event", "id": .string(id),
            "attributes": [
                "timestamp": .int(timestamp), "event_properties": e["properties"], "datetime": .string(time),
                "uuid": .string(EmulatorSupport.uuid()),
            ],
            "relationships": [
                "profile": [
                    "data": ["type": "profile", "id": e["profile_id"]],
                    "links": [
                        "self": .string("\(base)/api/events/\(id)/relationships/profile/"),
                        "related": .string("\(base)/api/events/\(id)/profile/"),
                    ],
                ],
                "metric": [
                    "data": ["type": "metric", "id": .string(Self.metricID(e["metric"].string ?? ""))],
                    "links": [
                        "self": .string("\(base)/api/events/\(id)/relationships/metric/"),
                        "related": .string("\(base)/api/events/\(id)/metric/"),
                    ],
                ],
            ],
            "links": ["self": .string("\(base)/api/events/\(id)/")],
        ]
    }

    /// `include`: a comma list of `attributions`, `metric`, `profile` (400 otherwise).
    static func includes(_ request: ServerRequest) throws -> Set<String> {
        guard let value = request.queryValue("include") else { return [] }
        let names = Set(value.split(separator: ",").map { $0.trimmed() })
        for n in names where !["attributions", "metric", "profile"].contains(n) {
            throw KlaviyoError(400, "'\(n)' is not a valid relationship for include.", parameter: "include")
        }
        return names
    }

    /// `GET /api/events/{id}` (`include=metric` adds the metric to `included`); 404 when unknown.
    func getEvent(_ request: ServerRequest, id: String) throws -> ServerResponse {
        guard let e = events.first(where: { $0["id"].string == id }) else {
            throw KlaviyoError(404, "An event with id \(id) was not found.")
        }
        let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
        var document: JSON = ["data": eventResource(e, base: base)]
        if try Self.includes(request).contains("metric"), let m = e["metric"].string {
            document["included"] = [metricResource(m, base: base)]
        }
        return Self.document(200, document)
    }

    /// The comma-joined terms `op(field,value)` of a filter; quoted values are unquoted.
    static func filterTerms(_ text: String) throws -> [(op: String, field: String, value: String)] {
        var terms: [(String, String, String)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard let open = rest.firstIndex(of: "("), let close = rest.firstIndex(of: ")"), open < close else {
                throw KlaviyoError(400, "Invalid filter provided: '\(text)'.", parameter: "filter")
            }
            let op = rest[..<open].trimmed()
            let args = rest[rest.index(after: open)..<close]
            guard let comma = args.firstIndex(of: ",") else {
                throw KlaviyoError(400, "Invalid filter provided: '\(text)'.", parameter: "filter")
            }
            let field = args[..<comma].trimmed()
            var value = args[args.index(after: comma)...].trimmed()
            if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                value = String(value.dropFirst().dropLast())
            }
            terms.append((op, field, value))
            rest = rest[rest.index(after: close)...]
            if rest.first == "," { rest = rest.dropFirst() }
        }
        return terms
    }
}
