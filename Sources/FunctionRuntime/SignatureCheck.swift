/// Applies a function's signature policy to a request that arrived over HTTP.
public enum SignatureCheck {
    /// Verifies `request` against the first accepted scheme whose signature header is present.
    ///
    /// - No accepted scheme: nothing to verify.
    /// - Header present, secret set: verified (`.badSignature` on mismatch or stale timestamp).
    /// - No secret configured for any accepted scheme: allowed only with `ALLOW_UNSIGNED=1`
    ///   (noted in the log); otherwise `.configMissing` naming the secret variable.
    /// - A secret is configured but the request carries no signature: `.badSignature`.
    public static func verify(_ schemes: [SignatureScheme], request: IncomingRequest, body: [UInt8], config: Config, log: EventLog?) throws {
        guard !schemes.isEmpty else { return }
        let configured = schemes.filter { config.value($0.secretVariable) != nil }
        if configured.isEmpty {
            if config.flag(ConfigKey.allowUnsigned) {
                log?.note("running unsigned: \(schemes.map(\.secretVariable).joined(separator: "/")) unset and ALLOW_UNSIGNED=1")
                return
            }
            throw RuntimeError(.configMissing, "\(schemes.map(\.secretVariable).joined(separator: " or ")) is not set; set it (or ALLOW_UNSIGNED=1 for local testing only)")
        }
        guard let scheme = configured.first(where: { request.header($0.signatureHeader) != nil }) else {
            throw RuntimeError(.badSignature, "missing signature header (\(configured.map(\.signatureHeader).joined(separator: " or ")))")
        }
        let secret = config.value(scheme.secretVariable)!
        switch scheme {
        case .zendesk:
            try WebhookSignature.verifyZendesk(secret: secret, signature: request.header(scheme.signatureHeader),
                                               timestamp: request.header("x-zendesk-webhook-signature-timestamp"), body: body)
        case .klaviyo:
            try WebhookSignature.verifyKlaviyo(secret: secret, signature: request.header(scheme.signatureHeader),
                                               timestamp: request.header("klaviyo-timestamp"), body: body)
        case .twilio:
            let base = try config.require(ConfigKey.publicURL, for: "verifying X-Twilio-Signature")
            var url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + request.path
            if !request.query.isEmpty { url += "?" + request.query }
            let params = request.contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") ? FormDecoding.pairs(body) : []
            try WebhookSignature.verifyTwilio(authToken: secret, signature: request.header(scheme.signatureHeader), url: url, params: params)
        }
    }
}
