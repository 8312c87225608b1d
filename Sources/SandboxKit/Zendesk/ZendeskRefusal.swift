import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// A request the emulated Zendesk refuses: carries the exact response Zendesk would send.
/// Handlers throw it; `ZendeskEmulator.handle` answers with `response`.
struct ZendeskRefusal: Error {
    let response: ServerResponse

    init(_ response: ServerResponse) { self.response = response }

    /// 422 `RecordInvalid` with one detail under `field` (Zendesk's validation error shape).
    static func invalid(_ field: String, _ description: String, error: String = "InvalidValue") -> ZendeskRefusal {
        ZendeskRefusal(
            .json(
                422,
                [
                    "error": "RecordInvalid", "description": "Record validation errors",
                    "details": [field: [["description": .string(description), "error": .string(error)]]],
                ]))
    }

    /// 422 `RecordInvalid` with several `base` details (business rule validation).
    static func invalidRecord(_ problems: [String]) -> ZendeskRefusal {
        ZendeskRefusal(
            .json(
                422,
                [
                    "error": "RecordInvalid", "description": "Record validation errors",
                    "details": [
                        "base": .array(problems.map { ["description": .string($0), "error": "InvalidValue"] })
                    ],
                ]))
    }

    /// 404 `RecordNotFound`.
    static let notFound = ZendeskRefusal(.json(404, ["error": "RecordNotFound", "description": "Not found"]))

    /// 404 for a path Zendesk does not serve.
    static let noEndpoint = ZendeskRefusal(.json(404, ["error": "InvalidEndpoint", "description": "Not found"]))

    /// 400 with Zendesk's `{"error","description"}` shape.
    static func badRequest(_ description: String, error: String = "InvalidValue") -> ZendeskRefusal {
        ZendeskRefusal(.json(400, ["error": .string(error), "description": .string(description)]))
    }

    /// 422 for any write to a closed ticket.
    static let closed = ZendeskRefusal(
        .json(
            422,
            [
                "error": "RecordInvalid", "description": "Record validation errors",
                "details": [
                    "status": [["description": "Status: closed prevents ticket update", "error": "InvalidValue"]]
                ],
            ]))

    /// 409 when `safe_update` finds a newer ticket.
    static let updateConflict = ZendeskRefusal(
        .json(
            409,
            [
                "error": "UpdateConflict",
                "description":
                    "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.",
            ]))
}

/// Value checks Zendesk applies to user and ticket input.
enum ZendeskFormat {
    /// E.164, as the whole sandbox checks it.
    static func isE164(_ text: String) -> Bool { EmulatorSupport.isE164(text) }

    static func isEmail(_ text: String) -> Bool { EmulatorSupport.isEmail(text) }

    /// Tags: white space separates tags, duplicates collapse, order kept.
    static func tags(_ values: [JSON]) -> [String] {
        var out: [String] = []
        for value in values {
            for tag in (value.string ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
                let t = String(tag)
                if !out.contains(t) { out.append(t) }
            }
        }
        return out
    }

    /// The HTML Zendesk renders for a plain-text comment.
    static func html(fromPlain body: String) -> String {
        var escaped = ""
        for ch in body {
            switch ch {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "\n": escaped += "<br>"
            default: escaped.append(ch)
            }
        }
        return "<div class=\"zd-comment\" dir=\"auto\"><p>\(escaped)</p></div>"
    }

    /// The plain text of an HTML comment: tags removed, the common entities decoded.
    static func plain(fromHTML html: String) -> String {
        var out = "", inTag = false
        for ch in html {
            if ch == "<" { inTag = true; continue }
            if ch == ">" { inTag = false; continue }
            if !inTag { out.append(ch) }
        }
        return out.replacingAll("&lt;", with: "<").replacingAll("&gt;", with: ">")
            .replacingAll("&quot;", with: "\"").replacingAll("&#39;", with: "'").replacingAll("&amp;", with: "&")
            .trimmed()
    }

    /// A deterministic UUID (version-4 layout) derived from `seed`.
    static func uuid(_ seed: String) -> String {
        var b = EmulatorSupport.fingerprint(seed.utf8)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let h = Crypto.hex(b)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }

    /// A ULID-shaped id (`01` + 24 Crockford base-32 characters), as Zendesk gives webhooks.
    static func ulid() -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return "01" + String(EmulatorSupport.randomBytes(24).map { alphabet[Int($0 & 31)] })
    }

    /// A fresh webhook signing secret (URL-safe base-64 of 32 random bytes).
    static func secret() -> String {
        Crypto.base64(EmulatorSupport.randomBytes(32)).replacingAll("+", with: "-").replacingAll("/", with: "_")
            .replacingAll("=", with: "")
    }
}
