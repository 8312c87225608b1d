import FoundationEssentials
import FunctionRuntime
import ServiceClients
import TicketMetrics

/// The pure rules of a backfill: which Klaviyo events one exported ticket gives, with exactly
/// the properties, profile and `unique_id` the live `ticket-metrics` would have sent — so live
/// events and a backfill of the same ticket are the same event to Klaviyo and count once.
public enum BackfillRules {
    /// One decision about one ticket and metric.
    public enum Item: Sendable, Equatable {
        case event(KlaviyoEvent, brand: Int64?)
        case skip(TicketMetric, reason: String, brand: Int64?)
    }

    /// The sideloads a backfill needs: the requester, assignee and group of each ticket, and its
    /// metric set (when it was closed).
    public static let sideloads = ["users", "groups", "metric_sets"]

    /// For a ticket of an export page: "Opened Ticket" when it was created in the window (`time`
    /// = `created_at`), "Resolved Ticket" when it is closed and was closed in the window (`time` =
    /// the metric set's `status_updated_at` — a closed ticket's status changes no more — else
    /// `updated_at`). Tickets of brands outside `brands` (when given) and deleted ones give
    /// nothing. Every event is `backfill: true` (Klaviyo records it without triggering flows).
    public static func items(
        ticket t: JSON, page: ZendeskExportPage, window: HistoryWindow, brands: Set<Int64>, account: String,
        agentURL: (Int64) -> String
    ) -> [Item] {
        guard let id = t["id"].int else { return [] }
        let status = t["status"].string?.lowercased() ?? ""
        let brand = t["brand_id"].int
        if status == "deleted" { return [] }
        if !brands.isEmpty, !(brand.map(brands.contains) ?? false) { return [] }
        var wanted: [(TicketMetric, TicketEvent)] = []
        if window.contains(t["created_at"].string) {
            let time = t["created_at"].string.flatMap(TicketEvent.normalizedTime)
            wanted.append((.opened, TicketEvent(kind: .created, ticketID: id, time: time)))
        }
        if status == "closed" {
            let closedAt = page.metricSets[id]?["status_updated_at"].nonEmptyString ?? t["updated_at"].string
            if window.contains(closedAt) {
                let time = closedAt.flatMap(TicketEvent.normalizedTime)
                wanted.append(
                    (
                        .resolved,
                        TicketEvent(kind: .statusChanged(current: "closed", previous: nil), ticketID: id, time: time)
                    ))
            }
        }
        guard !wanted.isEmpty else { return [] }
        func user(_ key: String) -> JSON? { t[key].int.flatMap { page.users[$0] } }
        let facts = TicketFacts(
            ticket: t, requester: user("requester_id"), assignee: user("assignee_id"),
            group: t["group_id"].int.flatMap { page.groups[$0] }, agentURL: agentURL(id))
        return wanted.map { metric, event in
            switch TicketMetricsRules.plan(event: event, metric: metric, facts: facts, account: account, backfill: true)
            {
            case .emit(let e): return .event(e, brand: brand)
            case .skip(let reason): return .skip(metric, reason: reason, brand: brand)
            }
        }
    }
}
