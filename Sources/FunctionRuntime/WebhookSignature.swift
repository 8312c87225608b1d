import FoundationEssentials

/// The webhook signature schemes the bundle verifies.
///
/// Verification happens only for events that arrived over HTTP (invoker, CGI, OpenFaaS watchdog);
/// a pipeline or stream event on standard input is trusted, as its producer is local.
public enum SignatureScheme: String, Sendable, CaseIterable {
    /// `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)), with
    /// `X-Zendesk-Webhook-Signature-Timestamp` (ISO-8601) no older than 5 minutes
    /// (`maximumAge`) and at most 30 s ahead of this host's clock (`maximumSkew`, clock skew).
    case zendesk
    /// `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + each form parameter, sorted by
    /// name, as name + value)). The URL is `PUBLIC_URL` + the path as called (+ `?query`).
    case twilio
    /// `Klaviyo-Signature` = hex(HMAC-SHA256(secret, body + `Klaviyo-Timestamp`)).
    case klaviyo

    /// The header carrying the signature (lower case).
    public var signatureHeader: String {
        switch self {
        case .zendesk: return "x-zendesk-webhook-signature"
        case .twilio: return "x-twilio-signature"
        case .klaviyo: return "klaviyo-signature"
        }
    }

    /// The configuration variable holding the secret.
    public var secretVariable: String {
        switch self {
        case .zendesk: return ConfigKey.zendeskWebhookSecret
        case .twilio: return ConfigKey.twilioAuthToken
        case .klaviyo: return ConfigKey.klaviyoWebhookSecret
        }
    }
}

/// Signature computation and verification for each scheme. All comparisons are constant-time.
public enum WebhookSignature {
    /// How far a Zendesk or Klaviyo timestamp may lie in the past.
    public static let maximumAge: Double = 300
    /// How far it may lie in the future (clock skew between the sender and this host).
    public static let maximumSkew: Double = 30

    // MARK: Zendesk

    public static func zendesk(secret: String, timestamp: String, body: some Collection<UInt8>) throws -> String {
        try Crypto.base64(Crypto.hmac(.sha256, key: Array(secret.utf8), message: Array(timestamp.utf8) + Array(body)))
    }

    /// Throws `.badSignature` unless `signature` is Zendesk's signature of `body` at a fresh `timestamp`.
    public static func verifyZendesk(
        secret: String, signature: String?, timestamp: String?, body: [UInt8], now: Date = Date()
    ) throws {
        guard let signature, !signature.isEmpty else {
            throw RuntimeError(.badSignature, "missing X-Zendesk-Webhook-Signature header")
        }
        guard let timestamp, !timestamp.isEmpty else {
            throw RuntimeError(.badSignature, "missing X-Zendesk-Webhook-Signature-Timestamp header")
        }
        guard let when = Clock.parse(timestamp) else {
            throw RuntimeError(.badSignature, "signature timestamp is not ISO-8601: \(timestamp)")
        }
        try checkFreshness(when, now: now)
        let expected = try zendesk(secret: secret, timestamp: timestamp, body: body)
        guard try Crypto.constantTimeEqual(Array(expected.utf8), Array(signature.trimmed().utf8)) else {
            throw RuntimeError(
                .badSignature, "X-Zendesk-Webhook-Signature does not match the body", detail: .signatureMismatch)
        }
    }

    // MARK: Twilio

    public static func twilio(authToken: String, url: String, params: [(String, String)]) throws -> String {
        var message = url
        // Sorted by name; for equal names, by value (Twilio sorts the full key+value string).
        for (k, v) in params.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) { message += k + v }
        return try Crypto.base64(Crypto.hmac(.sha1, key: Array(authToken.utf8), message: Array(message.utf8)))
    }

    /// Throws `.badSignature` unless `signature` is Twilio's signature of the request, over the URL
    /// as given, without its port, or with the scheme's default port — the three forms Twilio's
    /// own validators accept, "since sig generation on back end is inconsistent" (twilio-python
    /// `RequestValidator.validate`; twilio-node and twilio-java do the same): Twilio sometimes
    /// signs `https://host:443/…` for a webhook configured as `https://host/…`.
    public static func verifyTwilio(
        authToken: String, signature: String?, url: String, params: [(String, String)]
    ) throws {
        guard let signature, !signature.isEmpty else {
            throw RuntimeError(.badSignature, "missing X-Twilio-Signature header")
        }
        let given = Array(signature.trimmed().utf8)
        var matched = false
        for form in twilioURLForms(url) {
            // Every form is compared, so the time taken does not tell which one matched.
            let expected = try twilio(authToken: authToken, url: form, params: params)
            if try Crypto.constantTimeEqual(Array(expected.utf8), given) { matched = true }
        }
        guard matched else {
            throw RuntimeError(
                .badSignature, "X-Twilio-Signature does not match the URL and parameters", detail: .signatureMismatch)
        }
    }

    /// `url` as given, then `url` without the port of its authority when it names one, else with
    /// the scheme's default port (443 for https, 80 for http); only `url` for another scheme.
    static func twilioURLForms(_ url: String) -> [String] {
        guard let schemeEnd = url.firstRange(of: "://") else { return [url] }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd], tail = rest[authorityEnd...]
        let head = url[..<schemeEnd.upperBound]
        // The port follows the last ":" — after the "]" of an IPv6 literal, if there is one.
        let hostEnd = authority.lastIndex(of: "]") ?? authority.startIndex
        var forms = [url]
        if let colon = authority[hostEnd...].lastIndex(of: ":"),
            authority[authority.index(after: colon)...].allSatisfy(\.isNumber)
        {
            forms.append(String(head) + authority[..<colon] + tail)
        } else if let port = scheme == "https" ? "443" : scheme == "http" ? "80" : nil {
            forms.append(String(head) + authority + ":" + port + tail)
        }
        return forms
    }

    // MARK: Klaviyo

    public static func klaviyo(secret: String, timestamp: String, body: some Collection<UInt8>) throws -> String {
        try Crypto.hex(Crypto.hmac(.sha256, key: Array(secret.utf8), message: Array(body) + Array(timestamp.utf8)))
    }

    /// Throws `.badSignature` unless `signature` is Klaviyo's signature of `body` at a fresh `timestamp`
    /// (Unix seconds or ISO-8601).
    public static func verifyKlaviyo(
        secret: String, signature: String?, timestamp: String?, body: [UInt8], now: Date = Date()
    ) throws {
        guard let signature, !signature.isEmpty else {
            throw RuntimeError(.badSignature, "missing Klaviyo-Signature header")
        }
        guard let timestamp, !timestamp.isEmpty else {
            throw RuntimeError(.badSignature, "missing Klaviyo-Timestamp header")
        }
        let when: Date
        if let seconds = Double(timestamp) {
            // `nan`, `inf` and friends parse as Doubles but are no time.
            guard seconds.isFinite, seconds > 0 else {
                throw RuntimeError(.badSignature, "Klaviyo-Timestamp is not a time: \(timestamp)")
            }
            when = Date(timeIntervalSince1970: seconds > 1e12 ? seconds / 1000 : seconds)
        } else if let d = Clock.parse(timestamp) {
            when = d
        } else {
            throw RuntimeError(.badSignature, "Klaviyo-Timestamp is neither Unix time nor ISO-8601: \(timestamp)")
        }
        try checkFreshness(when, now: now)
        let expected = try klaviyo(secret: secret, timestamp: timestamp, body: body)
        guard try Crypto.constantTimeEqual(Array(expected.utf8), Array(signature.trimmed().lowercased().utf8)) else {
            throw RuntimeError(.badSignature, "Klaviyo-Signature does not match the body", detail: .signatureMismatch)
        }
    }

    static func checkFreshness(_ when: Date, now: Date) throws {
        let age = now.timeIntervalSince(when)
        if age > maximumAge {
            throw RuntimeError(
                .badSignature, "signature timestamp is stale (\(Int(age)) s old, limit \(Int(maximumAge)) s)")
        }
        if age < -maximumSkew {
            throw RuntimeError(.badSignature, "signature timestamp lies \(Int(-age)) s in the future")
        }
    }
}
