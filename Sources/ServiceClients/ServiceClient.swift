import FunctionRuntime

/// What every service client shares: a base URL, fixed headers (auth), and the runtime's HTTP client.
public struct ServiceClient: Sendable {
    public let service: String
    public let baseURL: String
    public let headers: [(String, String)]
    public let http: HTTPClient

    public init(service: String, baseURL: String, headers: [(String, String)], http: HTTPClient) {
        self.service = service
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.headers = headers
        self.http = http
    }

    /// The request `send` would make to `path` (which may carry a query).
    public func request(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil,
        extraHeaders: [(String, String)] = [], retrySafe: Bool = false
    ) -> HTTPRequest {
        var h = headers + extraHeaders
        if let contentType { h.append(("Content-Type", contentType)) }
        return HTTPRequest(method, baseURL + path, headers: h, body: body, service: service, retrySafe: retrySafe)
    }

    /// Sends a request to `path` (which may carry a query) and returns the response, whatever its status.
    public func send(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil,
        extraHeaders: [(String, String)] = [], retrySafe: Bool = false
    ) throws -> HTTPResponse {
        try http.send(
            request(
                method, path, body: body, contentType: contentType, extraHeaders: extraHeaders, retrySafe: retrySafe))
    }

    /// Sends a request and returns the JSON body of a 2xx answer; throws `ServiceError` otherwise.
    /// `resendable`: see `HTTPRequest.resendable`.
    @discardableResult
    public func json(
        _ method: String, _ path: String, body: JSON? = nil, contentType: String = "application/json",
        extraHeaders: [(String, String)] = [], retrySafe: Bool = false, resendable: Bool = false
    ) throws -> JSON {
        var outgoing = request(
            method, path, body: body?.serializedBytes(), contentType: body == nil ? nil : contentType,
            extraHeaders: extraHeaders, retrySafe: retrySafe)
        outgoing.bodyJSON = body
        outgoing.resendable = resendable
        let response = try http.send(outgoing)
        guard response.isSuccess else {
            throw ServiceError(service: service, method: method, path: path, response: response)
        }
        return response.json
    }

    /// Percent-encodes a query component (`+` becomes `%2B`, as Klaviyo and Zendesk need).
    public static func query(_ value: String) -> String { FormDecoding.encode(value) }

    /// HTTP Basic credentials.
    public static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Crypto.base64(Array("\(user):\(password)".utf8))
    }
}
