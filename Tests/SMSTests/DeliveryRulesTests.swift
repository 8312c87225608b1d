import FunctionRuntime
import AgentReply
import SMSCore
import Testing

/// Twilio's status callbacks read as `agent-reply` reads them, and the rules on them.
@Suite struct DeliveryRulesTests {
    /// A status callback form as Twilio posts it (Twilio Docs, "Track the Message Status of
    /// Outbound Messages"), as an event's `json`.
    static func form(_ status: String, errorCode: String? = nil) -> JSON {
        var o: [String: JSON] = [
            "SmsSid": "SM1", "SmsStatus": .string(status), "MessageStatus": .string(status), "To": "+15551230000",
            "MessageSid": "SM1", "AccountSid": "AC_test", "From": "+15559870001", "ApiVersion": "2010-04-01",
        ]
        if let errorCode { o["ErrorCode"] = .string(errorCode) }
        return .object(o)
    }

    @Test func aCallbackNamesItsReplyInTheQuery() throws {
        #expect(DeliveryReport.isStatusCallback(Self.form("sent")))
        #expect(!DeliveryReport.isStatusCallback(["MessageSid": "SM1", "Body": "hi"]), "an inbound text has no status")
        let r = try DeliveryReport.parse(
            Self.form("undelivered", errorCode: "30005"), query: "ticket=7&comment=9&part=2")
        #expect(
            r
                == DeliveryReport(
                    messageSID: "SM1", status: "undelivered", errorCode: 30005, ticketID: 7, commentID: 9, part: 2))
        // In a pipeline (no query) the body names them.
        var piped = Self.form("failed", errorCode: "30008")
        piped["ticket"] = "7"
        piped["comment"] = "9"
        #expect(try DeliveryReport.parse(piped, query: nil).ticketID == 7)
        // ErrorCode 0 (or none) is no error.
        #expect(
            try DeliveryReport.parse(Self.form("delivered", errorCode: "0"), query: "ticket=7&comment=9").errorCode
                == nil)
        for query in ["", "ticket=7", "comment=9", "ticket=x&comment=9", "ticket=0&comment=9", "ticket=7&comment=-1"] {
            #expect(throws: (any Error).self, "\(query)") { try DeliveryReport.parse(Self.form("sent"), query: query) }
        }
        #expect(throws: (any Error).self) {
            try DeliveryReport.parse(["MessageSid": "SM1"], query: "ticket=7&comment=9")
        }
    }

    @Test func onlyUndeliveredAndFailedNeedAPerson() {
        for status in ["undelivered", "failed"] { #expect(DeliveryRules.isFailure(status)) }
        for status in ["queued", "accepted", "sending", "sent", "delivered", "read", "canceled"] {
            #expect(!DeliveryRules.isFailure(status), "\(status)")
        }
    }

    @Test func theNoteSaysWhatFailedAndTheTicketComesBack() {
        let r = DeliveryReport(
            messageSID: "SM1", status: "undelivered", errorCode: 30007, ticketID: 7, commentID: 9, part: 2)
        let note = DeliveryRules.note(r)
        #expect(note.contains("comment 9 (part 2)"))
        #expect(note.contains("SM1 undelivered, error 30007 (message filtered by the carrier)"), "\(note)")
        #expect(DeliveryRules.errorText(31999) == "error 31999")
        #expect(DeliveryRules.errorText(nil) == "no error code")
        #expect(DeliveryRules.undeliveredTag(commentID: 9) == "sms_reply_9_undelivered")
        for (from, to) in [("pending", "open"), ("hold", "open"), ("solved", "open"), ("open", nil), ("new", nil)] {
            #expect(SMSDeliveryFailure.reopenedStatus(from) == to, "\(from)")
        }
        #expect(
            ReplyRules.statusCallback("https://h/sms/status", ticketID: 7, commentID: 9, part: nil)
                == "https://h/sms/status?ticket=7&comment=9")
        #expect(
            ReplyRules.statusCallback("https://h/sms/status", ticketID: 7, commentID: 9, part: 3)
                == "https://h/sms/status?ticket=7&comment=9&part=3")
        #expect(ReplyRules.statusCallback(nil, ticketID: 7, commentID: 9, part: nil) == nil)
    }
}

/// `SMS_STATUS_CALLBACK_URL`, its default and its refusals.
@Suite struct StatusCallbackSettingTests {
    func url(_ env: [String: String]) throws -> String? {
        try SMSSettings(config: Config(environment: env)).statusCallbackURL
    }

    @Test func theDefaultFollowsPublicURL() throws {
        #expect(try url([:]) == nil, "without a public address Twilio could not reach the bundle")
        #expect(try url(["PUBLIC_URL": "https://bundle.example/"]) == "https://bundle.example/sms/status")
        #expect(try url(["PUBLIC_URL": "https://bundle.example", "SMS_STATUS_CALLBACK_URL": "off"]) == nil)
        #expect(
            try url(["PUBLIC_URL": "https://a.example", "SMS_STATUS_CALLBACK_URL": "https://b.example/f/agent-reply/"])
                == "https://b.example/f/agent-reply/")
        // A PUBLIC_URL Twilio would refuse as a StatusCallback (an underscore in the host) gets none.
        #expect(try url(["PUBLIC_URL": "https://my_host.example"]) == nil)
        #expect(try url(["PUBLIC_URL": "https://host.example/my_path"]) == "https://host.example/my_path/sms/status")
        for bad in ["ftp://x.example/s", "https://x.example/s?ticket=1", "status", "https://bad_host.example/s"] {
            #expect(throws: (any Error).self, "\(bad)") { try url(["SMS_STATUS_CALLBACK_URL": bad]) }
        }
    }
}
