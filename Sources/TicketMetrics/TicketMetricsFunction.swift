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
        signatures: [.zendesk],
        prefetch: { event, context in TicketMetricsHandler.firstRead(event.json, context: context) }
    ) { event, context in
        .result(try TicketMetricsHandler.handle(event.json, context: context))
    }
}
