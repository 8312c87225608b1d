import FoundationEssentials
import FunctionRuntime

/// One event as `GET /api/events` lists it, with its metric's name when the listing included
/// the metrics (`include=metric`).
public struct KlaviyoListedEvent: Sendable, Equatable {
    public var id: String
    public var metricID: String?
    /// The metric's name (from `included`), nil when it was not included.
    public var metricName: String?
    public var datetime: Date?
    public var properties: JSON

    public init(id: String, metricID: String?, metricName: String?, datetime: Date?, properties: JSON) {
        self.id = id
        self.metricID = metricID
        self.metricName = metricName
        self.datetime = datetime
        self.properties = properties
    }

    /// Reads an `event` resource; `metricNames` maps metric ids to names (from `included`).
    public init?(resource: JSON, metricNames: [String: String] = [:]) {
        guard let id = resource["id"].nonEmptyString else { return nil }
        let metric = resource.at("relationships.metric.data.id").nonEmptyString
        let attributes = resource["attributes"]
        var date = attributes["datetime"].nonEmptyString.flatMap(Clock.parse)
        if date == nil, let t = attributes["timestamp"].double { date = Date(timeIntervalSince1970: t) }
        self.init(
            id: id, metricID: metric, metricName: metric.flatMap { metricNames[$0] }, datetime: date,
            properties: attributes["event_properties"])
    }
}

extension Klaviyo {
    /// The ids of the metrics named in `names` (`GET /api/metrics`, following `links.next`, at
    /// most 20 pages); a name the account has no metric for yet is absent.
    public func metricIDs(named names: Set<String>) throws -> [String: String] {
        var found: [String: String] = [:]
        var path: String? = "/api/metrics"
        var pages = 0
        while let p = path, pages < 20, found.count < names.count {
            let doc = try client.json("GET", p)
            for m in doc["data"].array ?? [] {
                if let name = m["attributes"]["name"].string, names.contains(name), let id = m["id"].nonEmptyString {
                    found[name] = found[name] ?? id
                }
            }
            path = doc["links"]["next"].nonEmptyString.map { HTTPClient.pathOf($0) }
            pages += 1
        }
        return found
    }

    /// The id of the metric named `name`, nil when the account has no such metric yet.
    public func metricID(named name: String) throws -> String? {
        try metricIDs(named: [name])[name]
    }

    /// The profile's events of one metric after `since`, newest first (`GET /api/events` with
    /// `filter=equals(profile_id,"…"),equals(metric_id,"…"),greater-than(datetime,…)&sort=-datetime`;
    /// the first page of up to 200).
    public func events(profileID: String, metricID: String, since: Date) throws -> [JSON] {
        let filter =
            "equals(profile_id,\"\(profileID)\"),equals(metric_id,\"\(metricID)\"),greater-than(datetime,\(Clock.iso8601(since)))"
        let doc = try client.json("GET", "/api/events?filter=\(ServiceClient.query(filter))&sort=-datetime")
        return doc["data"].array ?? []
    }

    /// The profile's `limit` most recent events of any metric, newest first, with their metric
    /// names (`GET /api/events?filter=equals(profile_id,"…")&sort=-datetime&include=metric&page[size]=N`:
    /// one call).
    public func recentEvents(profileID: String, limit: Int) throws -> [KlaviyoListedEvent] {
        let filter = ServiceClient.query("equals(profile_id,\"\(profileID)\")")
        let doc = try client.json(
            "GET",
            "/api/events?filter=\(filter)&sort=-datetime&include=metric&page%5Bsize%5D=\(max(1, min(limit, 1000)))")
        let names = Self.metricNames(included: doc)
        return (doc["data"].array ?? []).compactMap { KlaviyoListedEvent(resource: $0, metricNames: names) }
    }

    /// `GET /api/events/{id}` with its metric included; nil when Klaviyo answers 404.
    public func event(id: String) throws -> KlaviyoListedEvent? {
        do {
            let doc = try client.json("GET", "/api/events/\(ServiceClient.query(id))?include=metric")
            return KlaviyoListedEvent(resource: doc["data"], metricNames: Self.metricNames(included: doc))
        } catch let e as ServiceError where e.code == .notFound {
            return nil
        }
    }

    /// Metric id → name of the `metric` resources in a document's `included`.
    static func metricNames(included doc: JSON) -> [String: String] {
        var names: [String: String] = [:]
        for m in doc["included"].array ?? [] where m["type"].string == "metric" {
            if let id = m["id"].string, let name = m["attributes"]["name"].string { names[id] = name }
        }
        return names
    }
}
