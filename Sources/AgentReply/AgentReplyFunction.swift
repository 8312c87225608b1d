import FunctionRuntime
import ServiceClients
import SMSCore

/// The `agent-reply` function: an agent's public reply on an SMS ticket goes back as SMS.
public enum AgentReplyFunction {
    public static let definition = FunctionDefinition(
        name: "agent-reply",
        summary: "relays an agent's public Zendesk reply on an SMS ticket to the customer as SMS, exactly once",
        details: """
            Input: the Zendesk event-subscription webhook zen:event-type:ticket.comment_added, or a trigger webhook
            whose JSON body is {"ticket_id":"{{ticket.id}}"} (the latest public comment is relayed);
            or Twilio's status callback of a reply it sent (form-encoded MessageSid, MessageStatus, ErrorCode;
            ?ticket=ID&comment=ID in the URL): undelivered/failed → internal note, tag sms_reply_<comment>_undelivered,
            the ticket reopened, listed for a person (outcome undelivered); other statuses → ignored.
            Output: {"function":"agent-reply","outcome":"sent|skipped|duplicate|failed|undelivered|ignored","reason"?,"ticket_id","comment_id",
            "provider","parts","segments","encoding","message_ids"?,"provider_code"?}.
            Provider refusals answer failed with exit 0; a provider that stays unavailable ends with exit 75.
            Configuration: SMS_PROVIDER (klaviyo|twilio), KLAVIYO_SMS_REPLY_METRIC (Twilio replies recorded in Klaviyo),
            SMS_STATUS_CALLBACK_URL (Twilio: where it reports each reply's delivery; default PUBLIC_URL + /sms/status, off: none).
            """,
        signatures: [.zendesk, .twilio],
        confirmations: ["provider_confirmed", "klaviyo_event", "message_ids"],
        answer: { request, _, status in HTTPAnswerBody.twilioAnswer(to: request, status: status) },
        handler: { event, context in try handle(event, context: context) })

    public static func handle(_ event: Event, context: FunctionContext) throws -> FunctionOutput {
        let settings = try SMSSettings(config: context.config)
        if event.form != nil, DeliveryReport.isStatusCallback(event.json) {
            let report = try DeliveryReport.parse(event.json, query: event.request?.query)
            let zendesk = try Zendesk(config: context.config, http: context.http)
            let handler = AgentReplyHandler(
                zendesk: zendesk, klaviyo: nil, twilio: nil, settings: settings, log: context.log,
                remaining: { context.http.deadline.remaining })
            return .result(try handler.handle(report))
        }
        guard let reply = try ReplyEvent.parse(event.json) else {
            return .result(["outcome": "skipped", "reason": .string(SkipReason.notCommentEvent.rawValue)])
        }
        let zendesk = try Zendesk(config: context.config, http: context.http)
        let klaviyo = settings.hasKlaviyo ? try Klaviyo(config: context.config, http: context.http) : nil
        let twilio = settings.provider == .twilio ? try Twilio(config: context.config, http: context.http) : nil
        if settings.provider == .klaviyo && klaviyo == nil {
            throw RuntimeError(.configMissing, "SMS_PROVIDER=klaviyo needs KLAVIYO_API_KEY")
        }
        let handler = AgentReplyHandler(
            zendesk: zendesk, klaviyo: klaviyo, twilio: twilio, settings: settings, log: context.log,
            remaining: { context.http.deadline.remaining })
        return .result(try handler.handle(reply))
    }
}
