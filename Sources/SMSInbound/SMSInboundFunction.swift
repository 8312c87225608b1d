import FunctionRuntime
import ServiceClients
import SMSCore

/// The `sms-inbound` function: a customer's text becomes Zendesk ticket activity.
public enum SMSInboundFunction {
    public static let definition = FunctionDefinition(
        name: "sms-inbound",
        summary: "turns a customer's text into Zendesk ticket activity (comment, reopen, follow-up or new ticket)",
        details: """
        Input: normalized JSON {"message_id","from","to","body","media_urls":[…],"received_at","profile_id"?,"conversation_id"?},
        a Twilio inbound webhook (form-encoded), or a Klaviyo system-webhook batch {"data":[{"topic","payload",…}]}.
        Output: {"function":"sms-inbound","outcome":"created|commented|reopened|followup|duplicate|ignored","reason"?,"ticket_id"?,"message_id"};
        a Klaviyo batch answers {"function":"sms-inbound","outcome":"batch","results":[one object per item, in order]}.
        Configuration: SMS_PROVIDER (klaviyo|twilio), SMS_KEYWORDS (comma-separated automation keywords),
        SMS_OPTOUT_MATCH (contains|exact), ZENDESK_SMS_BRAND_ID, KLAVIYO_SMS_INBOUND_TOPIC (default event:klaviyo.received_sms),
        KLAVIYO_SMS_SENT_TOPIC (default event:klaviyo.sent_sms; campaign/flow SMS become private notes).
        """,
        signatures: [.twilio, .klaviyo],
        handler: { event, context in try handle(event, context: context) })

    /// Handles one event (one item, or a Klaviyo batch of several).
    public static func handle(_ event: Event, context: FunctionContext) throws -> FunctionOutput {
        let settings = try SMSSettings(config: context.config)
        let (items, batch) = try InboundInput.items(from: event.json, settings: settings)
        let zendesk = try Zendesk(config: context.config, http: context.http)
        let klaviyo = settings.hasKlaviyo ? try Klaviyo(config: context.config, http: context.http) : nil
        let handler = SMSInboundHandler(zendesk: zendesk, klaviyo: klaviyo, settings: settings, log: context.log)
        if !batch, let item = items.first {
            return .result(try handler.handle(item))
        }
        var results: [JSON] = []
        for item in items { results.append(try handler.handle(item)) }
        return .result(["outcome": "batch", "results": .array(results)])
    }
}
