import FunctionRuntime
import ServiceClients

/// What a `survey-dispatch` event names: only a ticket. Everything else is read live, because a
/// webhook's snapshot may be hours older than the decision.
public enum SurveyDispatchEvent {
    /// The ticket an event names (see `ZendeskWebhookEvent.ticketID`); `.invalidEvent` when none.
    public static func ticketID(in json: JSON) throws -> Int64 {
        try ZendeskWebhookEvent.parse(json).requireTicketID()
    }
}
