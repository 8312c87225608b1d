import FoundationEssentials
import FunctionRuntime

extension Klaviyo {
    /// The id of the metric named `name` (`GET /api/metrics`, following `links.next`), nil when
    /// the account has no such metric yet.
    public func metricID(named name: String) throws -> String? {
        var path: String? = "/api/metrics"
        var pages = 0
        while let p = path, pages < 20 {
            let doc = try client.json("GET", p)
            if let m = (doc["data"].array ?? []).first(where: { $0["attributes"]["name"].string == name }) {
                return m["id"].nonEmptyString
            }
            path = doc["links"]["next"].nonEmptyString.map { HTTPClient.pathOf($0) }
            pages += 1
        }
        return nil
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
}
