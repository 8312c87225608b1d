import FunctionRuntime

extension InboundRules {
    /// What `sms-inbound` answers over HTTP in place of its JSON result: to Twilio's
    /// inbound-message webhook (a form-encoded body: the only form this function reads), an
    /// empty TwiML document once the text was handled (exit 0), so Twilio neither sends a reply
    /// nor records error 12300 — Twilio reads the answer as TwiML and a JSON one as an error
    /// (`HTTPAnswerBody.emptyTwiML`). The auto-responder's text goes through the Messages API,
    /// never through this answer. Nil (the JSON result) for everything else: a refusal or a
    /// failure (Twilio records any non-2xx as 11200, and its request inspector shows the JSON
    /// error), Klaviyo's JSON batches, normalized events, and a caller whose `Accept` names
    /// `application/json` (an operator's curl; Twilio sends no such header).
    public static func answer(to request: IncomingRequest, status: Int32) -> HTTPAnswerBody? {
        HTTPAnswerBody.twilioAnswer(to: request, status: status)
    }
}
