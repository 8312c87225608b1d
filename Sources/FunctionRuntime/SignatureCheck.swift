import FoundationEssentials
/// Applies a function's signature policy to a request that arrived over HTTP.
public enum SignatureCheck {
    /// Verifies `request` against the first of its candidate schemes (`candidates`: the accepted
    /// schemes whose sender signs such a body) whose signature header is present.
    ///
    /// - No accepted scheme: nothing to verify.
    /// - Header present, secret set: verified (`.badSignature` on mismatch or stale timestamp).
    /// - No secret configured for any candidate scheme: allowed only with `ALLOW_UNSIGNED=1`
    ///   (noted in the log); otherwise `.configMissing` naming the secret variable — or
    ///   `.badSignature` when the function has a secret for another kind of request.
    /// - A secret is configured but the request carries no signature: `.badSignature`.
    /// - `ZENDESK_WEBHOOK_SECRET` / `KLAVIYO_WEBHOOK_SECRET` may list several secrets separated by
    ///   commas; the request passes when any of them verifies it.
    public static func verify(
        _ accepted: [SignatureScheme], request: IncomingRequest, body: [UInt8], config: Config, log: EventLog?
    ) throws {
        guard !accepted.isEmpty else { return }
        let schemes = candidates(accepted, request: request)
        let configured = schemes.filter { config.value($0.secretVariable) != nil }
        if configured.isEmpty {
            if config.flag(ConfigKey.allowUnsigned) {
                log?.note(
                    "running unsigned: \(schemes.map(\.secretVariable).joined(separator: "/")) unset and ALLOW_UNSIGNED=1"
                )
                return
            }
            let missing = schemes.map(\.secretVariable).joined(separator: " or ")
            // The function verifies other senders: a request of this kind cannot be verified, and
            // one that is forged must not read as a configuration fault (401, not 5xx).
            if accepted.contains(where: { config.value($0.secretVariable) != nil }) {
                throw RuntimeError(.badSignature, "\(missing) is not set: a request of this kind cannot be verified")
            }
            throw RuntimeError(
                .configMissing, "\(missing) is not set; set it (or ALLOW_UNSIGNED=1 for local testing only)")
        }
        guard let scheme = configured.first(where: { request.header($0.signatureHeader) != nil }) else {
            throw RuntimeError(
                .badSignature,
                "missing signature header (\(configured.map(\.signatureHeader).joined(separator: " or ")))")
        }
        // Zendesk and Klaviyo secrets may be a comma-separated list: each Zendesk webhook has its
        // own signing secret, and a list lets a secret be rotated without downtime.
        let secrets =
            scheme == .twilio
            ? [config.value(scheme.secretVariable)!]
            : SignatureCheck.secrets(config.list(scheme.secretVariable), path: request.path)
        var lastError: RuntimeError?
        for secret in secrets {
            do {
                try verify(scheme, secret: secret, request: request, body: body, config: config)
                return
            } catch let error as RuntimeError where error.detail == .signatureMismatch {
                // Only a mismatch depends on the secret; a stale or missing timestamp fails the
                // same way for every secret and is thrown at once.
                lastError = error
            }
        }
        throw lastError ?? RuntimeError(.badSignature, "no secret to verify with")
    }

    /// The accepted schemes that can have signed `request`, by what each sender signs: Twilio
    /// form-encoded bodies (any other body through `bodySHA256` in the URL), Zendesk and Klaviyo
    /// JSON. All of `accepted` when none fits. So a function that takes Zendesk's JSON and
    /// Twilio's forms (`agent-reply`) judges each request by its own sender's secret alone.
    public static func candidates(_ accepted: [SignatureScheme], request: IncomingRequest) -> [SignatureScheme] {
        let form = request.contentType.lowercased().hasPrefix("application/x-www-form-urlencoded")
        let bodyHash = FormDecoding.pairs(Array(request.query.utf8)).contains { $0.0 == "bodySHA256" }
        let fit = accepted.filter { $0 == .twilio ? form || bodyHash : !form }
        return fit.isEmpty ? accepted : fit
    }

    /// The secrets that may sign a request to `path`: an entry `/route=secret` only for that
    /// route (so a webhook's secret is valid only where that webhook posts); a bare `secret` for
    /// every route.
    public static func secrets(_ entries: [String], path: String) -> [String] {
        entries.compactMap { entry in
            guard entry.hasPrefix("/"), let eq = entry.firstIndex(of: "=") else { return entry }
            return entry[..<eq] == path ? String(entry[entry.index(after: eq)...]) : nil
        }
    }

    /// The time a signature's freshness is judged against: when the invoker received the request
    /// (`INVOKER_RECEIVED_AT`, Unix seconds, set for a spooled request run later), else now.
    static func receivedAt(_ config: Config) -> Date {
        if let v = config.value(ConfigKey.invokerReceivedAt), let t = Double(v), t.isFinite {
            return Date(timeIntervalSince1970: t)
        }
        return Date()
    }

    static func verify(
        _ scheme: SignatureScheme, secret: String, request: IncomingRequest, body: [UInt8], config: Config
    ) throws {
        let now = receivedAt(config)
        switch scheme {
        case .zendesk:
            try WebhookSignature.verifyZendesk(
                secret: secret, signature: request.header(scheme.signatureHeader),
                timestamp: request.header("x-zendesk-webhook-signature-timestamp"), body: body, now: now)
        case .klaviyo:
            try WebhookSignature.verifyKlaviyo(
                secret: secret, signature: request.header(scheme.signatureHeader),
                timestamp: request.header("klaviyo-timestamp"), body: body, now: now)
        case .twilio:
            let base = try config.require(ConfigKey.publicURL, for: "verifying X-Twilio-Signature")
            var url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + request.path
            if !request.query.isEmpty { url += "?" + request.query }
            let isForm = request.contentType.lowercased().hasPrefix("application/x-www-form-urlencoded")
            if !isForm {
                // Twilio signs a non-form body through the URL: its query carries bodySHA256, the
                // hex SHA-256 of the body, and no parameters are signed.
                let pairs = FormDecoding.pairs(Array(request.query.utf8))
                guard let claimed = pairs.last(where: { $0.0 == "bodySHA256" })?.1 else {
                    throw RuntimeError(
                        .badSignature,
                        "a Twilio-signed request that is not form-encoded must carry bodySHA256 in its URL")
                }
                guard
                    try Crypto.constantTimeEqual(
                        Array(Crypto.hex(Crypto.sha256(body)).utf8), Array(claimed.lowercased().utf8))
                else {
                    throw RuntimeError(.badSignature, "bodySHA256 does not match the body")
                }
            }
            try WebhookSignature.verifyTwilio(
                authToken: secret, signature: request.header(scheme.signatureHeader), url: url,
                params: isForm ? FormDecoding.pairs(body) : [])
        }
    }
}
