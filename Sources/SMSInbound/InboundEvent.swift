import FunctionRuntime
import SMSCore

/// Reads the three input shapes of `sms-inbound` into work items.
///
/// - normalized JSON: `{"message_id","from","to","body","media_urls":[…],"received_at","profile_id"?,"conversation_id"?}`;
/// - a Twilio inbound webhook (form fields `MessageSid`/`SmsMessageSid`, `From`, `To`, `Body`,
///   `NumMedia`, `MediaUrl{N}`; other fields ignored);
/// - a Klaviyo system-webhook batch `{"data":[{"external_id","topic","payload"}],"meta":{…}}`:
///   items of the inbound topic ("Sent SMS": the customer texted) are texts, items of the
///   outbound topic ("Received SMS": a message of the brand reached the customer) are campaign/flow
///   SMS — or, naming neither, a conversation reply (from Zendesk, or from Klaviyo's inbox) — items of the failed
///   topic ("Failed to Deliver SMS") are messages that did not reach the customer, others are reported
///   as `ignored` (`topic`). `payload` has the shape of Klaviyo's Get Event answer
///   (`data.id`, `data.attributes.event_properties`, `data.relationships.profile.data.id`,
///   optionally `included` profiles); the fields are looked up by several usual names (see
///   `field(_:_:)`).
public enum InboundEvent {
    /// The items of `json`, and whether it was a batch (Klaviyo) whose results are reported as a
    /// list. In a batch, an item that cannot be read becomes `.invalid` (its own error entry) so
    /// one bad item never drops the others; a single event that cannot be read throws.
    public static func items(from json: JSON, settings: SMSSettings) throws -> (items: [InboundItem], batch: Bool) {
        if let data = json["data"].array, json["message_id"].isNull {
            return (
                data.map { item in
                    do { return try klaviyoItem(item, settings: settings) } catch let e as SMSError {
                        return .invalid(id: item["external_id"].nonEmptyString, error: e)
                    } catch {
                        return .invalid(
                            id: item["external_id"].nonEmptyString, error: SMSError(.invalidMessage, "\(error)"))
                    }
                }, true
            )
        }
        if json["MessageSid"].nonEmptyString != nil || json["SmsMessageSid"].nonEmptyString != nil
            || json["SmsSid"].nonEmptyString != nil
        {
            return ([.message(try checked(twilio(json)))], false)
        }
        return ([.message(try checked(normalized(json)))], false)
    }

    /// Message ids longer than this are not provider ids (Twilio's are 34 characters, Klaviyo's 26).
    static let maximumMessageIDLength = 256

    /// Checks what every shape must give: a sender that is a phone number (a short code or an
    /// alphanumeric sender cannot be the requester of a conversation) and a plausible message id.
    static func checked(_ m: InboundMessage) throws -> InboundMessage {
        guard m.messageID.utf8.count <= maximumMessageIDLength else {
            throw SMSError(
                .invalidMessage,
                "the message id is \(m.messageID.utf8.count) bytes long (at most \(maximumMessageIDLength))")
        }
        guard m.from.isEmpty || PhoneNumber.isE164(m.from) else {
            throw SMSError(.invalidMessage, "the sender is not a phone number in E.164 form")
        }
        return m
    }

    /// The normalized shape.
    public static func normalized(_ json: JSON) throws -> InboundMessage {
        guard let id = json["message_id"].nonEmptyString else {
            throw SMSError(.invalidMessage, "message_id is missing")
        }
        guard let from = json["from"].nonEmptyString else { throw SMSError(.invalidMessage, "from is missing") }
        guard let to = json["to"].nonEmptyString else { throw SMSError(.invalidMessage, "to is missing") }
        let media = json["media_urls"].array?.count ?? 0
        return InboundMessage(
            messageID: id, from: PhoneNumber.normalize(from), to: PhoneNumber.normalize(to),
            body: json["body"].string ?? "", mediaCount: media, receivedAt: json["received_at"].nonEmptyString,
            profileID: json["profile_id"].nonEmptyString, conversationID: json["conversation_id"].nonEmptyString)
    }

    /// Twilio's inbound webhook fields (all strings).
    public static func twilio(_ json: JSON) throws -> InboundMessage {
        guard
            let id = json["MessageSid"].nonEmptyString ?? json["SmsMessageSid"].nonEmptyString
                ?? json["SmsSid"].nonEmptyString
        else {
            throw SMSError(.invalidMessage, "MessageSid is missing")
        }
        guard let from = json["From"].nonEmptyString, let to = json["To"].nonEmptyString else {
            throw SMSError(.invalidMessage, "From and To are required")
        }
        var media = Int(json["NumMedia"].int ?? 0)
        if media == 0 {
            media = (json.object ?? [:]).keys.filter { $0.hasPrefix("MediaUrl") }.count
        }
        // Advanced Opt-Out: Twilio says which keyword class it matched (STOP, START, HELP).
        let optOut = json["OptOutType"].nonEmptyString.map { $0.uppercased() }
        return InboundMessage(
            messageID: id, from: PhoneNumber.normalize(from), to: PhoneNumber.normalize(to),
            body: json["Body"].string ?? "", mediaCount: media, optOutType: optOut)
    }

    /// One item of a Klaviyo system-webhook batch.
    public static func klaviyoItem(_ item: JSON, settings: SMSSettings) throws -> InboundItem {
        let topic = item["topic"].string ?? ""
        let payload = item["payload"]
        let event = payload["data"].isNull ? payload : payload["data"]
        let props = event["attributes"]["event_properties"].isNull ? event : event["attributes"]["event_properties"]
        let profileID =
            event.at("relationships.profile.data.id").nonEmptyString ?? field(props, ["profile_id", "profileid"])
        let included = (payload["included"].array ?? []).first { $0["type"].string == "profile" }
        let profilePhone = included?["attributes"]["phone_number"].nonEmptyString
        let id =
            event["id"].nonEmptyString ?? field(props, ["message_id", "messageid", "message_sid", "sid"])
            ?? item["external_id"].nonEmptyString
        let body = field(props, ["message_body", "body", "message", "text", "content"]) ?? ""
        guard item.object != nil else { throw SMSError(.invalidMessage, "a batch item is not an object") }
        if topic == settings.inboundTopic {
            guard let id else { throw SMSError(.invalidMessage, "a Klaviyo \(topic) item has no event id") }
            // The payload may name the customer only through the profile relationship: the
            // handler then reads the profile (phone and consent in one call).
            let from =
                field(props, ["from_number", "from", "from_phone_number", "phone_number", "customer_phone_number"])
                ?? profilePhone
            guard from != nil || profileID != nil else {
                throw SMSError(
                    .invalidMessage, "a Klaviyo \(topic) item names neither a sender phone number nor a profile")
            }
            let to =
                field(props, ["to_number", "to", "sending_number", "klaviyo_number", "company_phone_number"])
                ?? "klaviyo"
            let media = props["media_urls"].array?.count ?? Int(props["num_media"].int ?? 0)
            return .message(
                try checked(
                    InboundMessage(
                        messageID: id, from: from.map(PhoneNumber.normalize) ?? "", to: PhoneNumber.normalize(to),
                        body: body,
                        mediaCount: media, receivedAt: event["attributes"]["datetime"].nonEmptyString,
                        profileID: profileID, conversationID: field(props, ["conversation_id"]),
                        klaviyoAttribution: KlaviyoAttributionRef(payload: payload))))
        }
        if topic == settings.sentTopic || topic == settings.failedTopic {
            guard let id else { throw SMSError(.invalidMessage, "a Klaviyo \(topic) item has no event id") }
            // A message of the brand: the customer it went to, and the campaign or flow it was
            // part of — none for a conversation reply.
            let customer =
                (field(props, ["to_number", "to", "phone_number", "recipient", "customer_phone_number"])
                ?? profilePhone).map(PhoneNumber.normalize)
            let source = InboundRules.campaignOrFlow(props).map { "\($0.kind.rawValue): \($0.name)" }
            guard topic == settings.sentTopic else {
                return .undelivered(
                    UndeliveredSMS(
                        messageID: id, customer: customer, profileID: profileID, body: body,
                        failureType: field(props, ["failure_type", "failure_reason", "failed_reason", "reason"]),
                        source: source))
            }
            // Neither a campaign nor a flow: a conversation reply — from Zendesk (on the ticket
            // already: never noted, no echo) or from Klaviyo's inbox (the handler tells which).
            guard let source else {
                return .conversationReply(
                    ConversationReply(messageID: id, customer: customer, profileID: profileID, body: body))
            }
            return .campaign(
                CampaignSMS(messageID: id, customer: customer, profileID: profileID, body: body, source: source))
        }
        return .otherTopic(id: id, topic: topic)
    }

    /// The first non-empty string member of `object` whose name, lower-cased with spaces, `$`
    /// and `-` turned into `_`, is one of `names` (so "Message Body", "message_body" and
    /// "$message_body" all match `message_body`).
    public static func field(_ object: JSON, _ names: [String]) -> String? {
        guard let o = object.object else { return nil }
        var byName: [String: String] = [:]
        for (k, v) in o {
            guard let s = v.nonEmptyString, v.object == nil else { continue }
            var key = k.lowercased().replacingAll(" ", with: "_").replacingAll("-", with: "_")
            while key.hasPrefix("$") || key.hasPrefix("_") { key.removeFirst() }
            byName[key] = s
        }
        for n in names { if let v = byName[n] { return v } }
        return nil
    }
}
