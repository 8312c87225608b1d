import FunctionRuntime
import ServiceClients

/// The effects of `ticket-metrics`: reads the ticket's facts from Zendesk and records the Klaviyo
/// event that `TicketMetricsRules` decides on.
public enum TicketMetricsHandler {
    /// Decides, reads what is needed, and records the event. Returns the result object.
    public static func handle(_ json: JSON, context: FunctionContext) throws -> JSON {
        let event = try TicketEvent.parse(json)
        var result: JSON = ["ticket_id": .int(event.ticketID)]
        var decision = TicketMetricsRules.metric(for: event.kind)
        if case .skip(let reason) = decision { return skipped(result, reason) }
        let zendesk = try Zendesk(config: context.config, http: context.http)
        let klaviyo = try Klaviyo(config: context.config, http: context.http)
        let facts: TicketFacts
        do {
            facts = try TicketFacts.read(event, zendesk: zendesk)
        } catch let e as ServiceError where e.code == .notFound {
            return skipped(result, "ticket_not_found")
        }
        if decision == .needsLiveStatus {
            decision = TicketMetricsRules.metric(for: event.kind, liveStatus: facts.ticket["status"].string)
        }
        guard case .record(let metric) = decision else {
            if case .skip(let reason) = decision { return skipped(result, reason) }
            return skipped(result, "status_unknown")
        }
        result["metric"] = .string(metric.rawValue)
        let account = TicketMetricsRules.accountKey(zendeskURL: zendesk.client.baseURL)
        switch TicketMetricsRules.plan(
            event: event, metric: metric, facts: facts, account: account,
            backfill: context.config.flag(TicketMetricsFunction.backfillKey))
        {
        case .skip(let reason):
            return skipped(result, reason)
        case .emit(let klaviyoEvent):
            try klaviyo.createEvent(klaviyoEvent)
            result["outcome"] = "emitted"
            result["unique_id"] = JSON(klaviyoEvent.uniqueID)
            result["time"] = JSON(klaviyoEvent.time)
            return result
        }
    }

    /// The live ticket read `handle` starts with, or nil when the event is skipped before any
    /// read (stream mode reads it ahead; the handler writes only to Klaviyo, never the ticket).
    public static func firstRead(_ json: JSON, context: FunctionContext) -> HTTPRequest? {
        guard let event = try? TicketEvent.parse(json) else { return nil }
        if case .skip = TicketMetricsRules.metric(for: event.kind) { return nil }
        guard let zendesk = try? Zendesk(config: context.config, http: context.http) else { return nil }
        return zendesk.ticketRequest(id: event.ticketID, include: TicketFacts.sideloads)
    }

    static func skipped(_ result: JSON, _ reason: String) -> JSON {
        var r = result
        r["outcome"] = "skipped"
        r["reason"] = .string(reason)
        return r
    }
}
