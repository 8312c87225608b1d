import FunctionRuntime

/// A final, non-success answer from a service (after the runtime's retries).
public struct ServiceError: Error, CustomStringConvertible, RuntimeErrorConvertible {
    public enum Code: String, Sendable {
        /// 401/403: the configured credentials were refused.
        case unauthorized
        /// 404.
        case notFound = "not_found"
        /// 409: a conflict (e.g. `safe_update` saw a newer ticket).
        case conflict
        /// 422 and other 4xx: the service refused the request as it stands.
        case rejected
        /// 5xx that the runtime did not retry, or an answer that could not be read.
        case unexpected
    }

    public let code: Code
    public let service: String
    public let status: Int
    public let method: String
    public let path: String
    /// The service's error body (JSON when it sent JSON).
    public let body: JSON

    public init(service: String, method: String, path: String, response: HTTPResponse) {
        self.service = service
        self.method = method
        self.path = path
        self.status = response.status
        self.body = response.json.isNull ? .string(String(response.text.prefix(500))) : response.json
        switch response.status {
        case 401, 403: code = .unauthorized
        case 404: code = .notFound
        case 409: code = .conflict
        case 400..<500: code = .rejected
        default: code = .unexpected
        }
    }

    public var description: String {
        "\(service) answered \(status) to \(method) \(path): \(body.serialized().prefix(300))"
    }

    /// What a refusal means, read from the structure of the service's error body (its error code
    /// field and which record field it names), never from its wording.
    public enum Cause: Sendable, Equatable {
        /// Zendesk 400 `"error": "IdempotentRequestError"`: the `Idempotency-Key` was used with
        /// another body (a different request won the key).
        case idempotencyKeyReused
        /// Zendesk 422 `RecordInvalid` naming the `status` field: the ticket is closed and takes no update.
        case closedTicket
        /// Anything else.
        case other
    }

    public var cause: Cause {
        let error = body["error"].string
        if status == 400 && error == "IdempotentRequestError" { return .idempotencyKeyReused }
        if status == 422 && body["details"]["status"].array != nil { return .closedTicket }
        return .other
    }

    /// Bad credentials are a configuration problem (exit 78); a refused request is a bug or an
    /// unexpected state (exit 70): neither gets better by retrying.
    public var runtimeError: RuntimeError {
        switch code {
        case .unauthorized:
            return RuntimeError(
                .configMissing,
                "\(service) refused the credentials (\(status) to \(method) \(path)) — check the \(service) token/key and its account",
                detail: .credentialsRefused)
        default: return RuntimeError(.internal, description)
        }
    }
}
