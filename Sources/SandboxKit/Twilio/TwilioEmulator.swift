import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The emulated Twilio REST API (`https://api.twilio.com`, 2010-04-01), mounted under "/twilio".
///
/// Requests need HTTP Basic `AccountSid:AuthToken` (401, code 20003, otherwise); a path naming
/// another account is 404 (20404). `POST …/Messages.json` sends an SMS (form-encoded `To`, `From`,
/// `Body`, …): `From` must be a number the account owns (21606), `To` E.164 (21211), the body at
/// most 1600 characters (21617), and an opted-out recipient is refused (21610). The answer is 201
/// with the message resource (`SM` + 32 hex, status `queued`, `num_segments` as a string by
/// GSM-7/UCS-2 rules, RFC 2822 dates). `GET …/Messages.json` lists newest first, filtered by `To`,
/// `From`, `DateSent` (also `DateSent<` and `DateSent>`); `GET …/Messages/{Sid}.json` shows one.
public final class TwilioEmulator: Emulator {
    public let name = "twilio"
    public let prefix = "/twilio"

    public static let defaultConfig: JSON = ["account_sid": "AC_test", "auth_token": "tw-token", "rate_limit": 0]
    public static let maxBody = 1600

    var config: JSON = TwilioEmulator.defaultConfig
    var limiter = RateLimiter()
    /// Owned numbers (E.164), in order.
    var numbers: [String] = []
    /// Where each owned number posts incoming messages (`sms_url`).
    var smsURLs: [String: String] = [:]
    var optedOut: [String] = []
    /// Outbound messages in creation order.
    var messages: [JSON] = []
    /// Messages customers texted to owned numbers (played through the control API).
    var inbound: [JSON] = []
    /// Debugger alerts: what Twilio records when a webhook's answer is an error or unreadable
    /// (see `readWebhookAnswer`).
    var alerts: [JSON] = []
    /// Numbers whose handset cannot be reached: a message to one is `sent`, then `undelivered`
    /// with this Twilio error code (30003 unless seeded otherwise).
    var unreachable: [String: Int] = [:]
    /// The status callbacks posted: `{message_sid, status, url, answer}` (answer: the HTTP status,
    /// null when the endpoint could not be reached).
    var statusCallbacks: [JSON] = []

    public init() {}

    public var accountSID: String { config["account_sid"].string ?? "AC_test" }
    public var authToken: String { config["auth_token"].string ?? "tw-token" }

    public func handle(_ request: ServerRequest, path: String, context: EmulatorContext) -> ServerResponse {
        do {
            guard let (user, password) = EmulatorSupport.basicCredentials(request), user == accountSID,
                password == authToken
            else {
                throw TwilioError.generic(401)
            }
            if let wait = limiter.admit() { throw TwilioError.generic(429, retryAfter: wait) }
            if let c = EmulatorSupport.match(path, "/2010-04-01/Accounts/{account}") {
                let sid = c["account"]!.hasSuffix(".json") ? String(c["account"]!.dropLast(5)) : c["account"]!
                try checkAccount(sid, path: path)
                guard request.method == "GET" else { throw TwilioError(405, 20004, "Method not allowed") }
                let base = "/2010-04-01/Accounts/\(sid)"
                let created = EmulatorSupport.rfc2822(Date(timeIntervalSince1970: 1_700_000_000))
                return .json(
                    200,
                    [
                        "sid": .string(sid), "friendly_name": "Sandbox account", "status": "active", "type": "Full",
                        "owner_account_sid": .string(sid), "auth_token": "[redacted]",
                        "date_created": .string(created), "date_updated": .string(created),
                        "subresource_uris": [
                            "messages": .string(base + "/Messages.json"),
                            "incoming_phone_numbers": .string(base + "/IncomingPhoneNumbers.json"),
                        ],
                        "uri": .string(base + ".json"),
                    ])
            }
            if let c = EmulatorSupport.match(path, "/2010-04-01/Accounts/{sid}/Messages.json") {
                try checkAccount(c["sid"]!, path: path)
                switch request.method {
                case "POST": return try createMessage(request, context: context)
                case "GET": return try listMessages(request, path: path, now: context.now)
                default: throw TwilioError(405, 20004, "Method not allowed")
                }
            }
            if let c = EmulatorSupport.match(path, "/2010-04-01/Accounts/{sid}/Messages/{message}") {
                try checkAccount(c["sid"]!, path: path)
                guard request.method == "GET" else { throw TwilioError(405, 20004, "Method not allowed") }
                let sid = c["message"]!.hasSuffix(".json") ? String(c["message"]!.dropLast(5)) : c["message"]!
                guard let m = messages.first(where: { $0["sid"].string == sid }) else {
                    throw TwilioError(404, 20404, "The requested resource \(path) was not found")
                }
                return .json(200, laterStatus(m, now: context.now))
            }
            if let c = EmulatorSupport.match(path, "/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json") {
                try checkAccount(c["sid"]!, path: path)
                guard request.method == "GET" else { throw TwilioError(405, 20004, "Method not allowed") }
                return listIncomingNumbers(request)
            }
            if let c = EmulatorSupport.match(path, "/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers/{number}") {
                try checkAccount(c["sid"]!, path: path)
                let sid = c["number"]!.hasSuffix(".json") ? String(c["number"]!.dropLast(5)) : c["number"]!
                guard let number = numbers.first(where: { Self.numberSID($0) == sid }) else {
                    throw TwilioError(404, 20404, "The requested resource \(path) was not found")
                }
                switch request.method {
                case "GET": return .json(200, incomingNumber(number))
                case "POST": return try updateIncomingNumber(number, request)
                default: throw TwilioError(405, 20004, "Method not allowed")
                }
            }
            throw TwilioError(404, 20404, "The requested resource \(path) was not found")
        } catch let error as TwilioError {
            return error.response
        } catch {
            return TwilioError.generic(500).response
        }
    }

    func checkAccount(_ sid: String, path: String) throws {
        guard sid == accountSID else { throw TwilioError(404, 20404, "The requested resource \(path) was not found") }
    }

    // MARK: State

    public func snapshot() -> JSON {
        [
            "numbers": JSON(numbers), "sms_urls": .object(smsURLs.mapValues { .string($0) }),
            "opted_out": JSON(optedOut),
            "messages": .array(messages), "inbound": .array(inbound), "alerts": .array(alerts),
            "unreachable": .object(unreachable.mapValues { .int(Int64($0)) }),
            "status_callbacks": .array(statusCallbacks),
        ]
    }

    public func restore(_ snapshot: JSON) throws {
        reset()
        numbers = EmulatorSupport.strings(snapshot["numbers"])
        smsURLs = (snapshot["sms_urls"].object ?? [:]).compactMapValues(\.string)
        optedOut = EmulatorSupport.strings(snapshot["opted_out"])
        messages = snapshot["messages"].array ?? []
        inbound = snapshot["inbound"].array ?? []
        alerts = snapshot["alerts"].array ?? []
        unreachable = (snapshot["unreachable"].object ?? [:]).compactMapValues { $0.int.map { Int($0) } }
        statusCallbacks = snapshot["status_callbacks"].array ?? []
        if snapshot["config"].object != nil { try configure(snapshot["config"]) }
    }

    public func reset() {
        config = Self.defaultConfig
        limiter = RateLimiter()
        numbers = []
        smsURLs = [:]
        optedOut = []
        messages = []
        inbound = []
        alerts = []
        unreachable = [:]
        statusCallbacks = []
    }

    public func configure(_ document: JSON) throws {
        guard let o = document.object else { throw RuntimeError(.usage, "config.twilio must be an object") }
        for (key, value) in o {
            switch key {
            case "account_sid", "auth_token":
                guard value.nonEmptyString != nil else {
                    throw RuntimeError(.usage, "config.twilio.\(key) must be a string")
                }
            case "rate_limit":
                guard let n = value.int, n >= 0 else {
                    throw RuntimeError(.usage, "config.twilio.rate_limit must be a count per minute")
                }
                limiter.limit = Int(n)
            default: throw RuntimeError(.usage, "unknown config.twilio key \(key)")
            }
            config[key] = value
        }
    }

    /// Seeds `numbers` (E.164 strings, or `{"number","sms_url"}`), `opted_out`, and `unreachable`
    /// (E.164 strings, or `{"number","error_code"}`: handsets a message never reaches).
    public func seed(_ document: JSON, context: EmulatorContext) throws {
        guard let o = document.object else { throw RuntimeError(.usage, "seed.twilio must be an object") }
        for key in o.keys where !["numbers", "opted_out", "unreachable"].contains(key) {
            throw RuntimeError(.usage, "unknown seed.twilio key \(key)")
        }
        for entry in document["numbers"].array ?? [] { try addNumber(entry) }
        for entry in document["opted_out"].array ?? [] {
            guard let n = entry.string, EmulatorSupport.isE164(n) else {
                throw RuntimeError(.usage, "seed.twilio.opted_out: numbers must be E.164")
            }
            if !optedOut.contains(n) { optedOut.append(n) }
        }
        for entry in document["unreachable"].array ?? [] {
            guard let n = entry.string ?? entry["number"].string, EmulatorSupport.isE164(n) else {
                throw RuntimeError(.usage, "seed.twilio.unreachable: numbers must be E.164")
            }
            let code = entry["error_code"].int.map { Int($0) } ?? 30003
            guard Self.deliveryErrors[code] != nil else {
                throw RuntimeError(
                    .usage,
                    "seed.twilio.unreachable: error_code must be one of \(Self.deliveryErrors.keys.sorted())")
            }
            unreachable[n] = code
        }
    }

    /// Adds (or reconfigures) an owned number: an E.164 string or `{"number","sms_url"}`.
    public func addNumber(_ entry: JSON) throws {
        guard let number = entry.string ?? entry["number"].string, EmulatorSupport.isE164(number) else {
            throw RuntimeError(.usage, "a Twilio number must be E.164 (\"+15551230000\" or {\"number\",\"sms_url\"})")
        }
        if !numbers.contains(number) { numbers.append(number) }
        if let url = entry["sms_url"].string {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw RuntimeError(.usage, "sms_url must be an http(s) URL")
            }
            smsURLs[number] = url
        }
    }

    /// The `sms_url` configured for an owned number.
    public func smsURL(for number: String) -> String? { smsURLs[number] }
    public func owns(_ number: String) -> Bool { numbers.contains(number) }

    /// Applies Twilio's opt-out keywords to a message a customer sent: STOP words add the sender
    /// to the opt-out list, START words remove it. Returns the `OptOutType` Twilio reports
    /// (`STOP`, `START`, `HELP`) or nil.
    public func applyOptOutKeyword(from: String, body: String) -> String? {
        let word = body.trimmed().uppercased()
        if ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"].contains(word) {
            if !optedOut.contains(from) { optedOut.append(from) }
            return "STOP"
        }
        if ["START", "YES", "UNSTOP"].contains(word) {
            optedOut.removeAll { $0 == from }
            return "START"
        }
        if ["HELP", "INFO"].contains(word) { return "HELP" }
        return nil
    }

    /// Records an inbound message and returns its resource.
    public func recordInbound(
        from: String, to: String, body: String, mediaURLs: [String], context: EmulatorContext
    ) -> JSON {
        let now = EmulatorSupport.rfc2822(context.now)
        let sid = "SM" + EmulatorSupport.randomHex(16)
        let message: JSON = [
            "sid": .string(sid), "account_sid": .string(accountSID), "from": .string(from), "to": .string(to),
            "body": .string(body), "num_media": .string(String(mediaURLs.count)), "media_urls": JSON(mediaURLs),
            "num_segments": .string(String(TwilioSegments.count(body))),
            "direction": "inbound", "status": "received", "date_created": .string(now),
        ]
        inbound.append(message)
        return message
    }
}
