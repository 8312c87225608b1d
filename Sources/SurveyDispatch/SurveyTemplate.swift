import FunctionRuntime

/// Renders `{{ticket.…}}` placeholders in the strings of a JSON template. Values are inserted as
/// string content of the JSON value, so quotes and backslashes in them stay escaped; an unknown
/// placeholder renders empty, as in Zendesk.
public enum SurveyTemplate {
    /// The placeholder values for one ticket: `ticket.id`, `ticket.title`, `ticket.status`,
    /// `ticket.priority`, `ticket.type`, `ticket.tags` (space-separated), `ticket.url`,
    /// `ticket.brand_id`, `ticket.requester.{id,name,first_name,last_name,email,phone}`,
    /// `ticket.assignee.{name,email}`.
    public static func values(ticket: JSON, requester: JSON?, assignee: JSON?, agentURL: String) -> [String: String] {
        var v: [String: String] = [:]
        v["ticket.id"] = ticket["id"].string
        v["ticket.title"] = ticket["subject"].string
        v["ticket.status"] = ticket["status"].string
        v["ticket.priority"] = ticket["priority"].string
        v["ticket.type"] = ticket["type"].string
        v["ticket.tags"] = (ticket["tags"].array ?? []).compactMap(\.string).joined(separator: " ")
        v["ticket.url"] = agentURL
        v["ticket.brand_id"] = ticket["brand_id"].string
        if let r = requester {
            let name = r["name"].string ?? ""
            let words = name.split(separator: " ")
            v["ticket.requester.id"] = r["id"].string
            v["ticket.requester.name"] = name
            v["ticket.requester.first_name"] = words.first.map(String.init) ?? ""
            v["ticket.requester.last_name"] = words.count > 1 ? words.dropFirst().joined(separator: " ") : ""
            v["ticket.requester.email"] = r["email"].string
            v["ticket.requester.phone"] = r["phone"].string
        }
        if let a = assignee {
            v["ticket.assignee.name"] = a["name"].string
            v["ticket.assignee.email"] = a["email"].string
        }
        return v
    }

    /// `template` with every string's placeholders replaced (keys are left as they are).
    public static func render(_ template: JSON, values: [String: String]) -> JSON {
        switch template {
        case .string(let s): return .string(substitute(s, values))
        case .array(let a): return .array(a.map { render($0, values: values) })
        case .object(let o): return .object(o.mapValues { render($0, values: values) })
        default: return template
        }
    }

    static func substitute(_ s: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = Substring(s)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmed()
            out += values[name] ?? ""
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
