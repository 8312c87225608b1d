import FunctionRuntime
import ServiceClients
import SMSCore
import SMSInbound
import Testing

@Suite struct InboundRulesTests {
    let settings = SMSSettings(provider: .twilio, keywords: SMSKeywords(automation: ["PROMO"]))
    func message(_ body: String, to: String = "+15559870000", media: Int = 0) -> InboundMessage {
        InboundMessage(messageID: "SM1", from: "+15551230000", to: to, body: body, mediaCount: media)
    }

    @Test func brandedSenderIsIgnored() {
        #expect(InboundRules.screen(message("hi", to: "ACME"), settings: settings) == .ignore(.brandedSender))
        #expect(InboundRules.screen(message("hi"), settings: settings) == nil)
    }

    @Test func keywordsAreIgnoredButHelpIsNot() {
        #expect(InboundRules.screen(message("STOP"), settings: settings) == .ignore(.keyword, detail: "opt_out"))
        #expect(InboundRules.screen(message("join"), settings: settings) == .ignore(.keyword, detail: "opt_in"))
        #expect(InboundRules.screen(message("promo"), settings: settings) == .ignore(.keyword, detail: "automation"))
        #expect(InboundRules.screen(message("HELP"), settings: settings) == nil)
        #expect(InboundRules.screen(message("Info"), settings: settings) == nil)
    }

    @Test func mediaOnlyLandsEmptyDoesNot() {
        #expect(InboundRules.screen(message("", media: 1), settings: settings) == nil)
        #expect(InboundRules.screen(message("  "), settings: settings) == .ignore(.empty))
    }

    @Test func consent() {
        let subscribed = KlaviyoProfile(id: "P", smsMarketingConsent: "SUBSCRIBED")
        let transactional = KlaviyoProfile(
            id: "P", smsMarketingConsent: "UNSUBSCRIBED", smsTransactionalConsent: "SUBSCRIBED")
        let never = KlaviyoProfile(id: "P", smsMarketingConsent: "NEVER_SUBSCRIBED")
        #expect(InboundRules.consent(profile: subscribed, settings: settings) == nil)
        #expect(InboundRules.consent(profile: transactional, settings: settings) == nil)
        #expect(InboundRules.consent(profile: never, settings: settings) == .ignore(.notConsented))
        #expect(InboundRules.consent(profile: nil, settings: settings) == .ignore(.notConsented))
        var twilioOnly = settings
        twilioOnly.hasKlaviyo = false
        #expect(InboundRules.consent(profile: nil, settings: twilioOnly) == nil)
    }

    @Test(arguments: ["new", "open", "pending", "hold"])
    func activeTicketsGetAComment(status: String) {
        let d = InboundRules.route(tickets: [ConversationTicket(id: 4, status: status, updatedAt: "T")], handledBy: nil)
        #expect(d == .comment(ticketID: 4, stamp: "T", reopen: false))
        #expect(d.outcome == "commented")
    }

    @Test func solvedTicketIsReopened() {
        let d = InboundRules.route(
            tickets: [ConversationTicket(id: 4, status: "solved", updatedAt: "T")], handledBy: nil)
        #expect(d == .comment(ticketID: 4, stamp: "T", reopen: true))
        #expect(d.outcome == "reopened")
    }

    @Test func closedTicketGetsAFollowUpOfTheNewestClosed() {
        let d = InboundRules.route(
            tickets: [ConversationTicket(id: 2, status: "closed"), ConversationTicket(id: 9, status: "closed")],
            handledBy: nil)
        #expect(d == .followUp(closedTicketID: 9))
        #expect(d.outcome == "followup")
    }

    @Test func aFullTicketIsContinuedInANewOneAndNeverCommentedAgain() {
        let full = ConversationTicket(id: 7, status: "open", tags: ["sms", InboundRules.fullTag])
        #expect(full.isFull && !full.takesTexts)
        let d = InboundRules.route(tickets: [ConversationTicket(id: 3, status: "closed"), full], handledBy: nil)
        #expect(d == .continuation(fullTicketID: 7))
        #expect(d.outcome == "continued")
        // Its continuation takes the texts; a closed ticket after a full one gets a follow-up.
        let next = ConversationTicket(id: 12, status: "pending")
        #expect(
            InboundRules.route(tickets: [full, next], handledBy: nil)
                == .comment(ticketID: 12, stamp: nil, reopen: false))
        let closedAfter = ConversationTicket(id: 12, status: "closed")
        #expect(InboundRules.route(tickets: [full, closedAfter], handledBy: nil) == .followUp(closedTicketID: 12))
        #expect(InboundRules.activeTicket([full]) == nil)
        #expect(InboundRules.isFull(commentCount: 5000) && !InboundRules.isFull(commentCount: 4999))
        #expect(
            InboundRules.subject(customerName: "Pat", phone: "+15550001111", continuing: 7)
                == "SMS conversation with Pat (continued from #7, which reached Zendesk's comment limit)")
        #expect(InboundRules.subject(customerName: " ", phone: "+15550001111") == "SMS conversation with +15550001111")
    }

    @Test func noTicketCreatesOne() {
        #expect(InboundRules.route(tickets: [], handledBy: nil) == .create)
    }

    @Test func openFollowUpWinsOverClosedAndLowestIDWinsARace() {
        let tickets = [
            ConversationTicket(id: 2, status: "closed"), ConversationTicket(id: 12, status: "new"),
            ConversationTicket(id: 11, status: "open"),
        ]
        #expect(
            InboundRules.route(tickets: tickets, handledBy: nil) == .comment(ticketID: 11, stamp: nil, reopen: false))
    }

    @Test func handledMessageIsADuplicate() {
        #expect(
            InboundRules.route(tickets: [ConversationTicket(id: 4, status: "open")], handledBy: 4)
                == .duplicate(ticketID: 4))
        let audits: [JSON] = [["metadata": ["custom": [:]]], ["metadata": ["custom": ["sms_message_id": "SM1"]]]]
        #expect(InboundRules.records(audits, messageID: "SM1"))
        #expect(!InboundRules.records(audits, messageID: "SM2"))
    }

    @Test func campaignSMSBecomesANoteOnlyOnAnOpenTicket() {
        #expect(InboundRules.routeCampaign(active: nil, alreadyNoted: false) == .ignore(.noOpenTicket))
        #expect(
            InboundRules.routeCampaign(
                active: ConversationTicket(id: 3, status: "open", updatedAt: "T"), alreadyNoted: false)
                == .note(ticketID: 3, stamp: "T"))
        #expect(
            InboundRules.routeCampaign(active: ConversationTicket(id: 3, status: "open"), alreadyNoted: true)
                == .duplicate(ticketID: 3))
        let note = InboundRules.campaignNote(
            CampaignSMS(
                messageID: "e", customer: nil, profileID: nil, body: "20% off", source: "Campaign: Black Friday"))
        #expect(note.contains("Campaign: Black Friday") && note.contains("20% off"))
    }

    @Test func subjectNamesTheCustomer() {
        #expect(InboundRules.subject(customerName: "Pat Doe", phone: "+1555").contains("Pat Doe"))
        #expect(InboundRules.subject(customerName: nil, phone: "+15551230000").contains("+15551230000"))
    }
}

@Suite struct InboundInputTests {
    let settings = SMSSettings()

    @Test func normalizedShape() throws {
        let json = try JSON.parse(
            #"{"message_id":"SM1","from":"+15551230000","to":"+15559870000","body":"Olá 😀","media_urls":["https://x/1.gif"],"received_at":"2026-11-20T10:00:00Z"}"#
        )
        let (items, batch) = try InboundEvent.items(from: json, settings: settings)
        #expect(!batch)
        #expect(
            items == [
                .message(
                    InboundMessage(
                        messageID: "SM1", from: "+15551230000", to: "+15559870000", body: "Olá 😀", mediaCount: 1,
                        receivedAt: "2026-11-20T10:00:00Z"))
            ])
    }

    @Test func twilioForm() throws {
        let json: JSON = [
            "MessageSid": "SMabc", "From": "+15551230000", "To": "+15559870000", "Body": "hi", "NumMedia": "2",
            "MediaUrl0": "u", "MediaUrl1": "v", "AccountSid": "AC1", "FromCountry": "US",
        ]
        let (items, _) = try InboundEvent.items(from: json, settings: settings)
        #expect(
            items == [
                .message(
                    InboundMessage(
                        messageID: "SMabc", from: "+15551230000", to: "+15559870000", body: "hi", mediaCount: 2))
            ])
    }

    /// Klaviyo names SMS metrics from the profile's side: "Sent SMS" (`sent_sms`) is the
    /// customer's text, "Received SMS" (`received_sms`) a message of the brand that reached them.
    @Test func klaviyoBatch() throws {
        let json = try JSON.parse(
            #"""
            {"data":[
              {"external_id":"e1","topic":"event:klaviyo.sent_sms","payload":{"data":{"type":"event","id":"EV1",
                 "attributes":{"event_properties":{"Message Body":"Where is my order?","From Number":"+15551230000","To Number":"+15559870000"}},
                 "relationships":{"profile":{"data":{"type":"profile","id":"P1"}}}}}},
              {"external_id":"e2","topic":"event:klaviyo.received_sms","payload":{"data":{"type":"event","id":"EV2",
                 "attributes":{"event_properties":{"Message Body":"Sale!","Campaign Name":"Black Friday","To Number":"+15551230000"}}}}},
              {"external_id":"e3","topic":"event:klaviyo.clicked_sms","payload":{}},
              {"external_id":"e4","topic":"event:klaviyo.sent_sms","payload":{"data":{"type":"event","id":"EV4",
                 "attributes":{"datetime":"2026-11-20T10:00:00+00:00","event_properties":{"Message Body":"only my profile"}},
                 "relationships":{"profile":{"data":{"type":"profile","id":"P4"}}}}}},
              {"external_id":"e5","topic":"event:klaviyo.received_sms","payload":{"data":{"type":"event","id":"EV5",
                 "attributes":{"event_properties":{"Message Body":"Thanks, on its way"}},
                 "relationships":{"profile":{"data":{"type":"profile","id":"P1"}}}}}},
              {"external_id":"e6","topic":"event:klaviyo.sent_sms","payload":{"data":{"type":"event","id":"EV6",
                 "attributes":{"event_properties":{"Message Body":"who am I?"}}}}},
              "not an item"
            ],"meta":{}}
            """#)
        let (items, batch) = try InboundEvent.items(from: json, settings: settings)
        #expect(batch)
        #expect(items.count == 7)
        #expect(
            items[0]
                == .message(
                    InboundMessage(
                        messageID: "EV1", from: "+15551230000", to: "+15559870000", body: "Where is my order?",
                        profileID: "P1")))
        #expect(
            items[1]
                == .campaign(
                    CampaignSMS(
                        messageID: "EV2", customer: "+15551230000", profileID: nil, body: "Sale!",
                        source: "Campaign: Black Friday")))
        #expect(items[2] == .otherTopic(id: "e3", topic: "event:klaviyo.clicked_sms"))
        // Known only by its profile: the handler reads the profile for the phone and consent.
        #expect(
            items[3]
                == .message(
                    InboundMessage(
                        messageID: "EV4", from: "", to: "klaviyo", body: "only my profile",
                        receivedAt: "2026-11-20T10:00:00+00:00", profileID: "P4")))
        // Outbound with neither campaign nor flow: a conversation reply (from Zendesk or Klaviyo's inbox).
        #expect(
            items[4]
                == .conversationReply(
                    ConversationReply(messageID: "EV5", customer: nil, profileID: "P1", body: "Thanks, on its way")))
        // Unreadable items are their own error entries; the batch still parses.
        guard case .invalid(let id, let error) = items[5] else { Issue.record("\(items[5])"); return }
        #expect(id == "e6" && error.code == .invalidMessage)
        guard case .invalid(nil, _) = items[6] else { Issue.record("\(items[6])"); return }
    }

    /// A conversation reply is Zendesk's own when its text is (a part of) an agent's public
    /// comment — compared with white space squeezed, either way round.
    @Test func aConversationReplyIsZendesksWhenAnAgentCommentHoldsItsText() {
        let comments = ["<p>Thanks Pat,</p><p>your parcel ships   today.</p>", "Second answer"]
        #expect(InboundRules.sentFromZendesk("Thanks Pat,\nyour parcel ships today.", agentComments: comments))
        #expect(InboundRules.sentFromZendesk("your parcel ships today.", agentComments: comments), "a part")
        #expect(InboundRules.sentFromZendesk("Second answer\nReply STOP to opt out", agentComments: comments))
        #expect(!InboundRules.sentFromZendesk("We refunded you from the inbox", agentComments: comments))
        #expect(!InboundRules.sentFromZendesk("Anything", agentComments: []))
        #expect(!InboundRules.sentFromZendesk("Anything", agentComments: ["", "  "]), "an empty comment holds nothing")
        let note = InboundRules.inboxReplyNote(
            ConversationReply(messageID: "EV", customer: nil, profileID: nil, body: "Refund sent"))
        #expect(note == "Sent to the customer from Klaviyo (not from Zendesk):\n\nRefund sent")
    }

    /// The topics can be configured, and the defaults carry Klaviyo's meaning.
    @Test func topicDefaultsFollowKlaviyo() {
        #expect(SMSSettings.defaultInboundTopic == "event:klaviyo.sent_sms")
        #expect(SMSSettings.defaultSentTopic == "event:klaviyo.received_sms")
    }

    /// Twilio Advanced Opt-Out's `OptOutType` decides over the keyword table: a custom opt-out
    /// word ("ARRET") is ignored, a custom help word opens a ticket.
    @Test func twilioAdvancedOptOutIsAuthoritative() throws {
        func screened(_ body: String, _ type: String?) throws -> InboundDecision? {
            var json: JSON = ["MessageSid": "SM1", "From": "+15551230000", "To": "+15559870000", "Body": .string(body)]
            if let type { json["OptOutType"] = .string(type) }
            guard case .message(let m) = try InboundEvent.items(from: json, settings: settings).items[0] else {
                return .create
            }
            return InboundRules.screen(m, settings: settings)
        }
        #expect(try screened("ARRET", "STOP") == .ignore(.keyword, detail: "opt_out"))
        #expect(try screened("ARRET", nil) == nil)
        #expect(try screened("OUI", "START") == .ignore(.keyword, detail: "opt_in"))
        #expect(try screened("AIDE", "HELP") == nil)
        #expect(try screened("help", "HELP") == nil)
        #expect(try screened("STOP", nil) == .ignore(.keyword, detail: "opt_out"))
    }

    @Test func missingFieldsAreInvalid() {
        #expect(throws: SMSError.self) {
            try InboundEvent.items(from: ["message_id": "x", "to": "+15559870000"], settings: settings)
        }
    }
}

/// Refusals are classified by the structure of Zendesk's error body, never by its wording.
@Suite struct ServiceErrorCauseTests {
    func error(_ status: Int, _ body: String) -> ServiceError {
        ServiceError(
            service: "zendesk", method: "PUT", path: "/api/v2/tickets/1.json",
            response: HTTPResponse(status: status, body: Array(body.utf8)))
    }

    @Test func causes() {
        #expect(
            error(400, #"{"error":"IdempotentRequestError","description":"reworded any way"}"#).cause
                == .idempotencyKeyReused)
        #expect(
            error(422, #"{"error":"RecordInvalid","details":{"status":[{"description":"anything"}]}}"#).cause
                == .closedTicket)
        #expect(
            error(422, #"{"error":"RecordInvalid","details":{"subject":[{"description":"the ticket is closed"}]}}"#)
                .cause == .other,
            "the word closed elsewhere means nothing")
        #expect(error(400, #"{"error":"RecordInvalid","description":"IdempotentRequestError"}"#).cause == .other)
    }
}
