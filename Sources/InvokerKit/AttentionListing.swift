import FoundationEssentials
import FunctionRuntime

/// The readable forms of `./invoke attention` and `./invoke spool`.
public enum AttentionListing {
    /// A count per kind, then one block per entry (newest last): time, kind, ticket, function,
    /// what happened and what to do.
    public static func text(_ entries: [JSON]) -> String {
        guard !entries.isEmpty else { return "nothing needs a person\n" }
        var counts: [String: Int] = [:]
        for e in entries { counts[e["kind"].string ?? "?", default: 0] += 1 }
        var out = "\(entries.count) outcome(s) need a person: "
        out += counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "\n\n"
        for e in entries {
            let ticket = e["ticket_id"].int.map { " ticket \($0)" } ?? ""
            out += "\(e["ts"].string ?? "?")  \(e["kind"].string ?? "?")\(ticket)  (\(e["function"].string ?? "?"))\n"
            if let detail = e["detail"].string, !detail.isEmpty { out += "    \(detail)\n" }
            if let action = e["action"].string, !action.isEmpty { out += "    → \(action)\n" }
        }
        return out
    }

    static func describe(_ item: Spool.Item) -> JSON {
        var o: JSON = [
            "id": .string(item.id), "received_at": .string(Clock.iso8601(Date(timeIntervalSince1970: item.receivedAt))),
            "method": .string(item.request.method), "path": .string(item.request.path),
            "attempts": .int(Int64(item.attempts)),
        ]
        if let s = item.lastStatus { o["last_status"] = .int(Int64(s)) }
        if let e = item.lastExit { o["last_exit"] = .int(Int64(e)) }
        return o
    }

    public static func spoolJSON(pending: [Spool.Item], dead: [Spool.DeadLetter]) -> JSON {
        [
            "pending": .array(pending.map(describe)),
            "dead": .array(
                dead.map { d in
                    describe(d.item).merging([
                        "reason": .string(d.reason), "answer": .string(Redactor().redact(d.answer)),
                    ])
                }),
        ]
    }

    public static func spoolText(pending: [Spool.Item], dead: [Spool.DeadLetter]) -> String {
        var out = "\(pending.count) pending, \(dead.count) dead\n"
        for p in pending {
            out += "pending  \(p.id)  \(p.request.method) \(p.request.path)  attempts \(p.attempts)"
            out += p.lastStatus.map { "  last HTTP \($0)" } ?? ""
            out += "\n"
        }
        for d in dead {
            out += "dead     \(d.item.id)  \(d.item.request.method) \(d.item.request.path)  \(d.reason)\n"
            out += "         answer: \(Redactor().redact(String(d.answer.trimmed().prefix(300))))\n"
            out += "         retry:  ./invoke spool --retry \(d.item.id)\n"
        }
        return out
    }
}
