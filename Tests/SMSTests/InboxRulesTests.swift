import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore
import SMSInbound
import Testing

/// The pure rules of Klaviyo Inbox parity (seed 003): reply attribution, the customer-context
/// note, the auto-responder's text and claim.
@Suite struct AttributionRulesTests {
    let window = 24.0 * 3600
    /// 2026-11-27T10:02:00Z: when Black Friday went out.
    let sent = Clock.parse("2026-11-27T10:02:00Z")!

    func campaign(_ name: String = "Black Friday", at: Date? = nil, id: String = "RCV1") -> DeliveredSMS {
        DeliveredSMS(id: id, kind: .campaign, name: name, sentAt: at ?? sent)
    }

    func attribute(
        _ id: String = "TXT1", after seconds: Double, delivered: [DeliveredSMS]? = nil, texts: [EarlierText] = []
    ) -> AttributionResult {
        InboundRules.attribute(
            textID: id, textAt: sent.addingTimeInterval(seconds), delivered: delivered ?? [campaign()], texts: texts,
            window: window)
    }

    @Test func aTextWithinTheWindowIsAttributedOneOutsideIsNot() {
        let inside = attribute(after: 23 * 3600 + 59 * 60)
        guard case .attributed(let a) = inside else {
            Issue.record("23 h 59 after: \(inside)")
            return
        }
        #expect(a.message.name == "Black Friday" && a.minutesBefore == 23 * 60 + 59)
        #expect(attribute(after: 24 * 3600 + 60) == .unattributed(.outsideWindow, detail: "Campaign: Black Friday"))
        // The window is inclusive.
        if case .attributed = attribute(after: 24 * 3600) {} else { Issue.record("exactly 24 h is inside") }
        // A shorter window from SMS_ATTRIBUTION_HOURS.
        let short = InboundRules.attribute(
            textID: "T", textAt: sent.addingTimeInterval(7200), delivered: [campaign()], texts: [], window: 3600)
        #expect(short == .unattributed(.outsideWindow, detail: "Campaign: Black Friday"))
    }

    @Test func onlyTheFirstTextOfABurstIsAttributed() {
        let first = EarlierText(id: "TXT1", at: sent.addingTimeInterval(180))
        let second = EarlierText(id: "TXT2", at: sent.addingTimeInterval(185))
        // Both deliveries see both texts in Klaviyo's "Sent SMS" events.
        if case .attributed = attribute("TXT1", after: 180, texts: [first, second]) {
        } else {
            Issue.record("the first text is attributed")
        }
        #expect(
            attribute("TXT2", after: 185, texts: [first, second])
                == .unattributed(.notFirstText, detail: "text TXT1 came first"))
        // Within one second the text that landed on the ticket first is the first, for every
        // delivery alike; one not on the ticket yet lands after the text being decided.
        let a = EarlierText(id: "A", at: sent.addingTimeInterval(60.2), ticketOrder: 1)
        let b = EarlierText(id: "B", at: sent.addingTimeInterval(60.7), ticketOrder: 3)
        func decide(_ id: String, order: Int?, texts: [EarlierText]) -> AttributionResult {
            InboundRules.attribute(
                textID: id, textAt: sent.addingTimeInterval(60.5), textOrder: order, delivered: [campaign()],
                texts: texts, window: window)
        }
        if case .attributed = decide("A", order: 1, texts: [a, b]) {} else { Issue.record("A landed first") }
        #expect(decide("B", order: 3, texts: [a, b]) == .unattributed(.notFirstText, detail: "text A came first"))
        let notYet = EarlierText(id: "C", at: sent.addingTimeInterval(60.1))
        if case .attributed = decide("A", order: 1, texts: [a, notYet]) {
        } else {
            Issue.record("a text not on the ticket yet lands later")
        }
        // Klaviyo's copy of a text and the ticket's are one text.
        #expect(
            InboundRules.mergedTexts(
                klaviyo: [EarlierText(id: "A", at: a.at), notYet], ticket: [a, b]) == [notYet, a, b])
        // A text from before the campaign does not count.
        let old = EarlierText(id: "OLD", at: sent.addingTimeInterval(-600))
        if case .attributed = attribute("TXT1", after: 180, texts: [old]) {} else { Issue.record("old text ignored") }
    }

    @Test func theLastMessageReceivedWins() {
        let flow = DeliveredSMS(id: "RCV2", kind: .flow, name: "Welcome", sentAt: sent.addingTimeInterval(600))
        guard case .attributed(let a) = attribute(after: 900, delivered: [campaign(), flow]) else {
            Issue.record("attributed")
            return
        }
        #expect(a.message == flow && a.minutesBefore == 5)
        // A message that went out after the text is not what it answers.
        guard case .attributed(let b) = attribute(after: 300, delivered: [flow, campaign()]) else {
            Issue.record("attributed to the campaign")
            return
        }
        #expect(b.message.name == "Black Friday")
    }

    @Test func noCampaignAtAll() {
        #expect(attribute(after: 60, delivered: []) == .unattributed(.noMessage))
        #expect(
            attribute(after: 60, delivered: [campaign(at: sent.addingTimeInterval(120))]) == .unattributed(.noMessage))
    }

    @Test func theNoteReadsLikeTheInbox() {
        let a = SMSAttribution(message: campaign(), textAt: sent.addingTimeInterval(180))
        #expect(InboundRules.attributionNote(a) == "Reply to Campaign: Black Friday (sent 10:02, 3 min before)")
        let late = SMSAttribution(
            message: DeliveredSMS(id: "R", kind: .flow, name: "Winback", sentAt: sent),
            textAt: sent.addingTimeInterval(2 * 3600 + 5 * 60), byKlaviyo: true)
        #expect(
            InboundRules.attributionNote(late)
                == "Reply to Flow: Winback (sent 10:02, 2 h 5 min before; attributed by Klaviyo)")
        let result = InboundRules.attributionResult(.attributed(a))
        #expect(result["kind"] == "campaign" && result["name"] == "Black Friday" && result["minutes_before"] == 3)
        #expect(result["sent_at"] == "2026-11-27T10:02:00Z" && result["by"] == "bundle")
    }

    @Test func deliveredSMSNamesACampaignOrAFlowNeverAConversationReply() {
        #expect(
            InboundRules.deliveredSMS(id: "E", properties: ["Campaign Name": "BF"], at: sent)
                == DeliveredSMS(id: "E", kind: .campaign, name: "BF", sentAt: sent))
        #expect(InboundRules.deliveredSMS(id: "E", properties: ["Flow Name": "Welcome"], at: sent)?.kind == .flow)
        #expect(InboundRules.deliveredSMS(id: "E", properties: ["Message Body": "Thanks!"], at: sent) == nil)
        #expect(InboundRules.deliveredSMS(id: "E", properties: ["Campaign Name": "BF"], at: nil) == nil)
    }

    @Test func klaviyosOwnAttributionIsReadFromTheItem() {
        let payload: JSON = [
            "data": ["type": "event", "id": "EV9"],
            "included": [
                ["type": "profile", "id": "P"],
                [
                    "type": "attribution", "id": "925e",
                    "relationships": [
                        "attributed-event": ["data": ["type": "event", "id": "RCV7"]],
                        "flow": ["data": ["type": "flow", "id": "FL1"]],
                    ],
                ],
            ],
        ]
        #expect(KlaviyoAttributionRef(payload: payload) == KlaviyoAttributionRef(eventID: "RCV7", flowID: "FL1"))
        #expect(KlaviyoAttributionRef(payload: ["data": ["id": "EV9"]]) == nil)
        let item: JSON = [
            "external_id": "EV9", "topic": "event:klaviyo.sent_sms",
            "payload": payload.merging([
                "data": [
                    "type": "event", "id": "EV9",
                    "attributes": ["event_properties": ["Message Body": "yes!", "From Number": "+15551230000"]],
                ]
            ]),
        ]
        guard case .message(let m) = try? InboundEvent.klaviyoItem(item, settings: SMSSettings()) else {
            Issue.record("a text")
            return
        }
        #expect(m.klaviyoAttribution?.eventID == "RCV7")
    }

    @Test func textsAlreadyOnTheTicketComeFromTheAudits() {
        let audits: [JSON] = [
            [
                "created_at": "2026-11-27T10:05:00Z",
                "metadata": ["custom": ["sms_message_id": "SM1", "sms_direction": "inbound"]],
            ],
            [
                "created_at": "2026-11-27T10:09:00Z",
                "metadata": [
                    "custom": [
                        "sms_message_id": "SM2", "sms_direction": "inbound",
                        "sms_received_at": "2026-11-27T10:06:00Z",
                    ]
                ],
            ],
            ["created_at": "2026-11-27T10:07:00Z", "metadata": ["custom": ["sms_note": "context"]]],
            [
                "created_at": "2026-11-27T10:08:00Z",
                "metadata": ["custom": ["sms_message_id": "CMP", "sms_direction": "campaign"]],
            ],
        ]
        #expect(
            InboundRules.inboundTexts(audits) == [
                EarlierText(id: "SM1", at: Clock.parse("2026-11-27T10:05:00Z")!, ticketOrder: 0),
                EarlierText(id: "SM2", at: Clock.parse("2026-11-27T10:06:00Z")!, ticketOrder: 1),
            ])
        #expect(InboundRules.hasNote(audits, key: "context"))
        #expect(!InboundRules.hasNote(audits, key: "attribution:SM1"))
    }
}

@Suite struct ContextNoteRulesTests {
    let profile = KlaviyoProfile(
        id: "01PAT", email: "pat@example.com", phoneNumber: "+15551230000", firstName: "Pat", lastName: "Doe",
        smsMarketingConsent: "SUBSCRIBED", smsTransactionalConsent: "NEVER_SUBSCRIBED")

    @Test func theNoteShowsWhatTheInboxShows() {
        var p = profile
        p.predictive = KlaviyoPredictiveAnalytics(
            historicCLV: 93.87, predictedCLV: 27.2, churnProbability: 0.89,
            expectedDateOfNextOrder: "2026-12-08T00:00:00+00:00", historicNumberOfOrders: 2, averageOrderValue: 46.935)
        let events: [(metric: String, at: Date)] = (0..<7).map { i in
            (i % 2 == 0 ? "Placed Order" : "Viewed Product", Clock.parse("2026-11-2\(7 - i)T09:00:00Z")!)
        }
        let note = InboundRules.contextNote(CustomerContext(profile: p, earlierTickets: 3, recentEvents: events))
        #expect(
            note == """
                Customer context from Klaviyo (profile 01PAT)
                Name: Pat Doe
                Email: pat@example.com
                SMS consent: marketing subscribed, transactional never subscribed
                Predictive analytics: historic CLV 93.87, predicted CLV 27.20, churn probability 89 %, expected next order 2026-12-08, orders 2, average order 46.94
                Earlier Zendesk tickets: 3
                Recent activity: Placed Order (2026-11-27), Viewed Product (2026-11-26), Placed Order (2026-11-25), Viewed Product (2026-11-24), Placed Order (2026-11-23)
                """)
    }

    @Test func whatIsMissingSaysSo() {
        var p = KlaviyoProfile(id: "01KIM", phoneNumber: "+447700900123", smsMarketingConsent: "SUBSCRIBED")
        p.predictive = KlaviyoPredictiveAnalytics(JSON.object(["historic_clv": .null, "churn_probability": .null]))
        let note = InboundRules.contextNote(CustomerContext(profile: p, earlierTickets: nil, recentEvents: []))
        #expect(note.contains("Name: not set\nEmail: not set\n"))
        #expect(note.contains("transactional unknown"))
        #expect(note.contains("Predictive analytics: not available"))
        #expect(note.contains("Earlier Zendesk tickets: not available"))
        #expect(note.hasSuffix("Recent activity: none"))
    }

    @Test func earlierTicketsLeaveOutThisOne() {
        #expect(InboundRules.earlierTickets(ids: [7], current: 7) == 0)
        #expect(InboundRules.earlierTickets(ids: [3, 5, 7, 9], current: 9) == 3)
        // Not indexed yet, or listed twice across pages: still counted right.
        #expect(InboundRules.earlierTickets(ids: [3, 5, 5], current: 9) == 2)
        #expect(InboundRules.earlierTickets(ids: [], current: 9) == 0)
    }

    @Test func settingsTurnTheNoteOffAndBoundTheWindow() throws {
        #expect(try SMSSettings(config: Config(environment: [:])).contextNote)
        #expect(try SMSSettings(config: Config(environment: [:])).attributionWindow == 86_400)
        #expect(try !SMSSettings(config: Config(environment: ["SMS_CONTEXT_NOTE": "0"])).contextNote)
        #expect(try SMSSettings(config: Config(environment: ["SMS_ATTRIBUTION_HOURS": "2"])).attributionWindow == 7200)
        #expect(throws: SMSError.self) { try SMSSettings(config: Config(environment: ["SMS_CONTEXT_NOTE": "maybe"])) }
        #expect(throws: SMSError.self) { try SMSSettings(config: Config(environment: ["SMS_ATTRIBUTION_HOURS": "0"])) }
        #expect(throws: (any Error).self) {
            try SMSSettings(config: Config(environment: ["SMS_ATTRIBUTION_HOURS": "soon"]))
        }
    }
}

@Suite struct AutoResponderRulesTests {
    let now = Clock.parse("2026-11-27T12:00:00Z")!

    @Test func placeholdersAreFilledOrRefused() throws {
        let text = try SMSAutoResponder.render(
            template: "{{organization}}: we cannot reply because you have not agreed to SMS. Write to {{ email }}.",
            organization: "Acme", email: "help@acme.test")
        #expect(text == "Acme: we cannot reply because you have not agreed to SMS. Write to help@acme.test.")
        #expect(
            throws: SMSError(.badConfiguration, "SMS_AUTORESPONDER_TEXT uses {{organization}}: set SMS_ORGANIZATION")
        ) {
            try SMSAutoResponder.render(template: "{{organization}} here", organization: nil, email: nil)
        }
        #expect(throws: SMSError.self) {
            try SMSAutoResponder.render(template: "{{name}}", organization: "A", email: "e")
        }
        #expect(throws: SMSError.self) {
            try SMSAutoResponder.render(template: "Hi {{email", organization: nil, email: "e")
        }
        let settings = try SMSSettings(
            config: Config(environment: [
                "SMS_PROVIDER": "twilio", "SMS_AUTORESPONDER_TEXT": "{{organization}}: reply JOIN",
                "SMS_ORGANIZATION": "Acme",
            ]))
        #expect(settings.autoResponder?.text == "Acme: reply JOIN")
        #expect(settings.autoResponder?.metric == "Zendesk SMS Auto-Reply")
        #expect(try SMSSettings(config: Config(environment: [:])).autoResponder == nil)
    }

    @Test func onlyNotConsentedTextsToATwilioNumberQualify() throws {
        var settings = SMSSettings(provider: .twilio)
        settings.autoResponder = SMSAutoResponder(text: "hi")
        let m = InboundMessage(messageID: "SM1", from: "+15551239999", to: "+15559870000", body: "hello")
        #expect(InboundRules.autoReplySkip(.ignore(.notConsented), message: m, settings: settings) == nil)
        #expect(
            InboundRules.autoReplySkip(.ignore(.keyword, detail: "opt_out"), message: m, settings: settings)
                == "not_applicable")
        var klaviyo = settings
        klaviyo.provider = .klaviyo
        #expect(InboundRules.autoReplySkip(.ignore(.notConsented), message: m, settings: klaviyo) == "klaviyo_provider")
        var off = settings
        off.autoResponder = nil
        #expect(InboundRules.autoReplySkip(.ignore(.notConsented), message: m, settings: off) == "not_configured")
    }

    func record(
        _ id: String, message: String, nonce: String = "n-other", brand: String = "+15559870000", minutesAgo: Double
    ) -> KlaviyoListedEvent {
        KlaviyoListedEvent(
            id: id, metricID: "M", metricName: nil, datetime: now.addingTimeInterval(-minutesAgo * 60),
            properties: ["Brand Number": .string(brand), "Message Id": .string(message), "Claim": .string(nonce)])
    }

    @Test func theEarliestRecordWithin24HoursHoldsTheClaim() {
        func claim(_ records: [KlaviyoListedEvent], _ message: String = "SM2") -> AutoReplyClaim {
            InboundRules.autoReplyClaim(
                records: records, brandNumber: "+15559870000", messageID: message, nonce: "n-mine", now: now,
                interval: 86_400)
        }
        #expect(claim([]) == .free)
        #expect(claim([record("E1", message: "SM2", nonce: "n-mine", minutesAgo: 1)]) == .ours(eventID: "E1"))
        #expect(
            claim([
                record("E2", message: "SM2", nonce: "n-mine", minutesAgo: 1),
                record("E1", message: "SM1", minutesAgo: 2),
            ]) == .taken(messageID: "SM1"))
        // Another delivery of the same text: a fresh claim is in flight, an old one is taken over.
        #expect(claim([record("E1", message: "SM2", minutesAgo: 0.5)]) == .inFlight)
        #expect(claim([record("E1", message: "SM2", minutesAgo: 2)]) == .stale(eventID: "E1"))
        // Another brand number, or older than 24 h: free.
        #expect(claim([record("E1", message: "SM1", brand: "+15559870001", minutesAgo: 1)]) == .free)
        #expect(claim([record("E1", message: "SM1", minutesAgo: 24 * 60 + 1)]) == .free)
        // Same second: the lower event id.
        #expect(
            claim([
                record("E9", message: "SM2", nonce: "n-mine", minutesAgo: 1),
                record("E1", message: "SM1", minutesAgo: 1),
            ]) == .taken(messageID: "SM1"))
        // The bucket key of the claim.
        #expect(
            InboundRules.autoReplyUniqueID(brandNumber: "+15559870000", now: now, interval: 86_400)
                == "+15559870000:\(Int64(now.timeIntervalSince1970) / 86_400)")
    }
}
