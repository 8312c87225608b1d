import FunctionRuntime
import HTTPServer

/// Answers the invoker gives when a function's own output does not decide the response.
public enum Outcome {
    /// Seconds in `Retry-After` when nothing more precise is known.
    public static let defaultRetryAfter = 5

    /// The response for a process that exited with `status` and wrote `body` in plain (pipeline)
    /// mode: the status from `ExitStatus.httpStatus(for:)`, the output as the JSON body (or, when it
    /// wrote nothing, a body made from the status), and `Retry-After` on 503 (the function's
    /// `retry_after` when it reported one).
    public static func fromExitStatus(_ status: Int32, body: [UInt8], function: String) -> ServerResponse {
        let http = ExitStatus.httpStatus(for: status)
        var response: ServerResponse
        let trimmedEmpty = body.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if trimmedEmpty {
            if status == 0 {
                response = .json(200, ["function": .string(function), "outcome": "done"])
            } else {
                let code = RuntimeError.Code(exitStatus: status)?.rawValue ?? "internal"
                response = .json(
                    http,
                    [
                        "function": .string(function), "outcome": "error",
                        "error": [
                            "code": .string(code), "message": .string("\(function) exited with status \(status)"),
                        ],
                    ])
            }
        } else {
            response = ServerResponse(status: http, headers: [("Content-Type", "application/json")], body: body)
        }
        if http == 503 {
            let reported = (try? JSON.parse(body))?["retry_after"].int.map(Int.init)
            response.headers.append(("Retry-After", String(max(1, reported ?? defaultRetryAfter))))
        }
        response.headers.append(("X-Function-Exit", String(status)))
        return response
    }

    /// An error answered by the invoker itself: `{"error":{"code":…,"message":…}}`.
    public static func error(
        _ status: Int, _ code: String, _ message: String, headers: [(String, String)] = []
    ) -> ServerResponse {
        .json(status, ["error": ["code": .string(code), "message": .string(message)]], headers: headers)
    }

    /// The end of a pipeline whose first stage filtered the event out.
    public static var filtered: ServerResponse { .json(200, ["outcome": "filtered"]) }
}
