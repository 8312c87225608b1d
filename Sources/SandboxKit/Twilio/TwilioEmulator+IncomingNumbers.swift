import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The account's phone numbers as Twilio's IncomingPhoneNumbers resources: list, fetch, and
/// update of where a number posts incoming messages (`SmsUrl`, `SmsMethod`).
extension TwilioEmulator {
    /// A number's resource sid: `PN` + 32 hex digits, stable for the number.
    public static func numberSID(_ number: String) -> String {
        "PN" + Crypto.hex(EmulatorSupport.fingerprint(number.utf8))
    }

    func incomingNumber(_ number: String) -> JSON {
        let sid = Self.numberSID(number)
        return [
            "sid": .string(sid), "account_sid": .string(accountSID), "phone_number": .string(number),
            "friendly_name": .string(number), "sms_url": .string(smsURLs[number] ?? ""), "sms_method": "POST",
            "capabilities": ["sms": true, "mms": true, "voice": true, "fax": false],
            "date_created": "Mon, 01 Jan 2024 00:00:00 +0000", "date_updated": "Mon, 01 Jan 2024 00:00:00 +0000",
            "api_version": "2010-04-01", "beta": false, "origin": "twilio", "status": "in-use",
            "sms_application_sid": "", "sms_fallback_url": "", "sms_fallback_method": "POST",
            "voice_url": "", "voice_method": "POST", "voice_fallback_url": "", "voice_fallback_method": "POST",
            "voice_caller_id_lookup": false, "status_callback": "", "status_callback_method": "POST",
            "address_requirements": "none", "emergency_status": "Inactive", "bundle_sid": .null, "identity_sid": .null,
            "trunk_sid": .null, "voice_receive_mode": "voice",
            "subresource_uris": [
                "assigned_add_ons": .string(
                    "/2010-04-01/Accounts/\(accountSID)/IncomingPhoneNumbers/\(sid)/AssignedAddOns.json")
            ],
            "uri": .string("/2010-04-01/Accounts/\(accountSID)/IncomingPhoneNumbers/\(sid).json"),
        ]
    }

    /// `GET …/IncomingPhoneNumbers.json[?PhoneNumber=…]`: one page holding every owned number.
    func listIncomingNumbers(_ request: ServerRequest) -> ServerResponse {
        let filter = request.queryValue("PhoneNumber")
        let items = numbers.filter { filter == nil || $0 == filter }.map(incomingNumber)
        let uri = "/2010-04-01/Accounts/\(accountSID)/IncomingPhoneNumbers.json"
        return .json(
            200,
            [
                "incoming_phone_numbers": .array(items), "page": 0, "page_size": 50, "start": 0,
                "end": .int(Int64(max(0, items.count - 1))), "uri": .string(uri),
                "first_page_uri": .string(uri + "?Page=0&PageSize=50"), "next_page_uri": nil, "previous_page_uri": nil,
            ])
    }

    /// `POST …/IncomingPhoneNumbers/{sid}.json` with `SmsUrl` (an http(s) URL, or empty to clear)
    /// and `SmsMethod` (GET or POST); other parameters are accepted and ignored here.
    func updateIncomingNumber(_ number: String, _ request: ServerRequest) throws -> ServerResponse {
        let params = FormDecoding.pairs(request.body)
        if let method = params.last(where: { $0.0 == "SmsMethod" })?.1, !["GET", "POST"].contains(method.uppercased()) {
            throw TwilioError(400, 21501, "SmsMethod must be GET or POST")
        }
        if let url = params.last(where: { $0.0 == "SmsUrl" })?.1 {
            if url.isEmpty {
                smsURLs[number] = nil
            } else {
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw TwilioError(400, 21502, "SmsUrl is not a valid URL")
                }
                smsURLs[number] = url
            }
        }
        return .json(200, incomingNumber(number))
    }
}
