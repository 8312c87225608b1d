/// Applies a function's signature policy to a request that arrived over HTTP.
public enum SignatureCheck {
    /// Verifies `request` against the first accepted scheme whose signature header is present.
    ///
    /// - No accepted scheme: nothing to verify.
    /// - Header present, secret set: verified (`.badSignature` on mismatch or stale timestamp).
    /// - No secret configured for any accepted scheme: allowed only with `ALLOW_UNSIGNED=1`
    ///   (noted in the log); otherwise `.configMissing` naming the secret variable.
    /// - A secret is configured but the request carries no signature: `.badSignature`.
    /// - `ZENDESK_WEBHOOK_SECRET` / `KLAVIYO_WEBHOOK_SECRET` may list several secrets separated by
    ///   commas; the request passes when any of them verifies it.
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
        // Zendesk and Klaviyo secrets may be a comma-separated list: each Zendesk webhook has its
        // own signing secret, and a list lets a secret be rotated without downtime.
        let secrets = scheme == .twilio ? [config.value(scheme.secretVariable)!]
                                        : config.list(scheme.secretVariable)
        var lastError: RuntimeError?
        for secret in secrets {
            do {
                try verify(scheme, secret: secret, request: request, body: body, config: config)
                return
            } catch let error as RuntimeError {
                // A stale or missing timestamp fails the same way for every secret.
                if error.message.contains("stale") || error.message.contains("future") || error.message.contains("missing") { throw error }
                lastError = error
            }
        }
        throw lastError ?? RuntimeError(.badSignature, "no secret to verify with")
    }

    static func verify(_ scheme: SignatureScheme, secret: String, request: IncomingRequest, body: [UInt8], config: Config) throws {
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
