import FunctionRuntime
import ServiceClients

/// The `ticket-metrics` function: Zendesk ticket events → Klaviyo "Opened Ticket" / "Resolved
/// Ticket" events.
public enum TicketMetricsFunction {
    /// `TICKET_METRICS_BACKFILL=1` marks the events `backfill: true` (recorded without triggering
    /// flows), for historical imports.
    public static let backfillKey = "TICKET_METRICS_BACKFILL"

    public static let definition = FunctionDefinition(
        name: "ticket-metrics",
        summary: "records Zendesk ticket created/closed as Klaviyo \"Opened Ticket\"/\"Resolved Ticket\" events",
        details: """
        Input: zen:event-type:ticket.created / ticket.status_changed payloads, or a trigger body
        {"type":"ticket.created"|"ticket.status_changed","ticket_id":"{{ticket.id}}","status":"{{ticket.status}}"}.
        Closed → "Resolved Ticket"; solved and other statuses → skipped. The profile is the requester's
        email and/or E.164 phone (neither → skipped). unique_id zendesk:<account>:<ticket>:opened|resolved
        makes re-deliveries harmless. --stream --dry-run turns NDJSON events into the Klaviyo request
        bodies (in "plan") without sending; TICKET_METRICS_BACKFILL=1 adds "backfill": true.
        """,
        signatures: [.zendesk]
    ) { event, context in
        .result(try handle(event.json, context: context))
    }

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
        switch TicketMetricsRules.plan(event: event, metric: metric, facts: facts, account: account,
                                       backfill: context.config.flag(backfillKey)) {
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

    static func skipped(_ result: JSON, _ reason: String) -> JSON {
        var r = result
        r["outcome"] = "skipped"
        r["reason"] = .string(reason)
        return r
    }
}
