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
            Output: {"function":"sms-inbound","outcome":"created|commented|reopened|followup|duplicate|ignored|undelivered","reason"?,"ticket_id"?,"message_id"};
            a Klaviyo batch answers {"function":"sms-inbound","outcome":"batch","results":[one object per item, in order]}.
            Configuration: SMS_PROVIDER (klaviyo|twilio), SMS_KEYWORDS (comma-separated automation keywords),
            SMS_OPTOUT_MATCH (contains|exact), ZENDESK_SMS_BRAND_ID, KLAVIYO_SMS_INBOUND_TOPIC (default event:klaviyo.sent_sms, "Sent SMS": the customer texted),
            KLAVIYO_SMS_SENT_TOPIC (default event:klaviyo.received_sms, "Received SMS": campaign/flow SMS become private notes),
            KLAVIYO_SMS_FAILED_TOPIC (default event:klaviyo.failed_to_deliver_sms: an undelivered conversation reply → note, reopen, attention),
            SMS_ATTRIBUTION_HOURS (default 24), SMS_CONTEXT_NOTE (1|0, default 1),
            SMS_AUTORESPONDER_TEXT with SMS_ORGANIZATION / SMS_SUPPORT_EMAIL (Twilio provider), KLAVIYO_SMS_AUTOREPLY_METRIC.
            A text on a ticket adds "attributed_to" (or "attribution": {"reason"}) and "notes"; an ignored not_consented text may add "autoresponder".
            Over HTTP, Twilio's webhook is answered with empty TwiML (text/xml) once handled, the outcome in X-Function-Outcome
            (the JSON result when the request's Accept names application/json).
            """,
        signatures: [.twilio, .klaviyo],
        // Twilio reads the answer to its inbound-message webhook as TwiML (a JSON one is its error
        // 12300): empty TwiML once handled; the auto-responder's text goes through the Messages API.
        answer: { request, _, status in HTTPAnswerBody.twilioAnswer(to: request, status: status) },
        handler: { event, context in try handle(event, context: context) })

    /// Handles one event (one item, or a Klaviyo batch of several).
    ///
    /// A batch gives each item its own result: an item that cannot be read or is refused is an
    /// `error` entry and the others go on. When any item met a transient failure (a service
    /// unavailable), the batch answers with exit 75 (HTTP 503) after all items were tried: Klaviyo
    /// re-delivers the batch, and the items already handled are recognised as duplicates.
    public static func handle(_ event: Event, context: FunctionContext) throws -> FunctionOutput {
        let settings = try SMSSettings(config: context.config)
        let (items, batch) = try InboundEvent.items(from: event.json, settings: settings)
        if batch, let request = event.request { try checkWebhookID(event.json, request: request) }
        let zendesk = try Zendesk(config: context.config, http: context.http)
        let klaviyo = settings.hasKlaviyo ? try Klaviyo(config: context.config, http: context.http) : nil
        // Twilio sends the auto-responder's text (the Klaviyo provider has its own auto-responder).
        let twilio =
            settings.provider == .twilio && settings.autoResponder != nil
            ? try Twilio(config: context.config, http: context.http) : nil
        let handler = SMSInboundHandler(
            zendesk: zendesk, klaviyo: klaviyo, twilio: twilio, settings: settings, log: context.log,
            remaining: { context.http.deadline.remaining })
        if !batch, let item = items.first {
            return .result(try handler.handle(item))
        }
        var results: [JSON] = []
        var transient: RuntimeError?
        for item in items {
            do {
                results.append(try handler.handle(item))
            } catch {
                let e = RuntimeError.from(error)
                if e.code == .upstreamUnavailable, transient == nil { transient = e }
                if e.code == .configMissing { throw e }
                context.log.warn("batch item \(item.id ?? "?") failed: \(e)")
                results.append([
                    "outcome": "error", "message_id": JSON(item.id),
                    "error": ["code": .string(e.code.rawValue), "message": .string(e.message)],
                    "retry": .bool(e.code == .upstreamUnavailable),
                ])
            }
        }
        let result: JSON = ["outcome": "batch", "results": .array(results)]
        if let transient {
            return .partial(
                result: result,
                failure: RuntimeError(
                    .upstreamUnavailable,
                    "an item of the batch met a transient failure (\(transient.message)); Klaviyo re-delivers it",
                    retryAfter: transient.retryAfter ?? 2))
        }
        return .result(result)
    }

    /// Klaviyo repeats the webhook's id in the signed body (`meta.klaviyo_webhook_id`): it must
    /// equal the `Klaviyo-Webhook-Id` header, or the body was signed for another webhook.
    static func checkWebhookID(_ json: JSON, request: IncomingRequest) throws {
        guard let header = request.header("klaviyo-webhook-id") else { return }
        let meta = json["meta"]
        guard let named = meta["klaviyo_webhook_id"].nonEmptyString ?? meta["webhook_id"].nonEmptyString else { return }
        guard named == header else {
            throw RuntimeError(
                .badSignature,
                "meta.klaviyo_webhook_id (\(named)) differs from the Klaviyo-Webhook-Id header (\(header))")
        }
    }
}
