import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Faults on demand and the services' own error formats.
extension Sandbox {
    /// Replaces the fault rules: `{"rules":[…]}` or a plain list of rules.
    public func setFaults(_ document: JSON) throws {
        let list = document.array ?? document["rules"].array
        guard let list else { throw RuntimeError(.usage, "faults must be {\"rules\":[…]} or a list of rules") }
        let rules = try list.map(FaultRule.init)
        lock.withLock {
            faults = rules; persist()
        }
    }

    /// The fault rules with the firings they have left.
    public func faultRules() -> JSON { lock.withLock { ["rules": .array(faults.map(\.json))] } }

    /// The first rule matching the request, with one firing used up. Call with the lock held.
    func takeFault(service: String, method: String, path: String) -> FaultRule? {
        guard let i = faults.firstIndex(where: { $0.matches(service: service, method: method, path: path) }) else {
            return nil
        }
        let rule = faults[i]
        if let left = faults[i].remaining { faults[i].remaining = left - 1 }
        return rule
    }

    /// An error answer in the service's own format; 429 and 503 carry `Retry-After`.
    static func serviceError(_ service: String, status: Int, retryAfter: Int?, code: Int? = nil) -> ServerResponse {
        let after = (status == 429 || status == 503) ? (retryAfter ?? 1) : nil
        switch service {
        case "klaviyo":
            return
                (status == 429
                ? KlaviyoError.throttled(after ?? 1)
                : KlaviyoError(status, ExitStatus.reason(status) + ".", retryAfter: after)).response
        case "twilio":
            if let code { return TwilioError(status, code, "Fault rule: error \(code)", retryAfter: after).response }
            return TwilioError.generic(status, retryAfter: after).response
        case "survey":
            return SurveyEmulator.error(status, ExitStatus.reason(status), retryAfter: after)
        default:
            if status == 429 { return ZendeskEmulator.throttled(retryAfter: after ?? 1) }
            let body: JSON
            switch status {
            case 503:
                body = [
                    "error": "ServiceUnavailable", "description": "Zendesk is temporarily unavailable; try again later",
                ]
            default:
                body = [
                    "error": .string(ExitStatus.reason(status).replacingAll(" ", with: "")),
                    "description": .string(ExitStatus.reason(status)),
                ]
            }
            return .json(status, body, headers: after.map { [("Retry-After", String($0))] } ?? [])
        }
    }
}
