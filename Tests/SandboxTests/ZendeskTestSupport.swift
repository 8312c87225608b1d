import FoundationEssentials
import FunctionRuntime
import HTTPServer
import SandboxKit

/// A fresh Zendesk emulator called in-process through `handle`, recording the events it emits.
final class ZendeskHarness {
    struct Reply {
        var status: Int
        var json: JSON
        var headers: [(String, String)]
        func header(_ name: String) -> String? { headers.last { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    let emulator = ZendeskEmulator()
    let context = EmulatorContext()
    var events: [(type: String, payload: JSON)] = []

    static let auth = ("Authorization", "Basic " + Crypto.base64(Array("agent@example.com/token:zd-token".utf8)))

    init() {
        context.emitZendeskEvent = { [unowned self] type, payload in self.events.append((type, payload)) }
    }

    /// Sends a request as the default API user (or with `headers` replacing the auth).
    @discardableResult
    func call(_ method: String, _ target: String, _ body: JSON? = nil, headers: [(String, String)]? = nil) -> Reply {
        var list = headers ?? [Self.auth]
        list.append(("Host", "zd.test"))
        if body != nil { list.append(("Content-Type", "application/json")) }
        let request = ServerRequest(
            method: method, target: target, headerList: list, body: body?.serializedBytes() ?? [])
        let response = emulator.handle(request, path: request.path, context: context)
        let json = response.body.isEmpty ? JSON.null : ((try? JSON.parse(response.body)) ?? .null)
        return Reply(status: response.status, json: json, headers: response.headers)
    }

    /// Creates an end-user and returns its id.
    func endUser(_ name: String, email: String? = nil, phone: String? = nil) -> Int64 {
        var user: JSON = ["name": .string(name)]
        if let email { user["email"] = .string(email) }
        if let phone { user["phone"] = .string(phone) }
        return call("POST", "/api/v2/users.json", ["user": user]).json["user"]["id"].int ?? -1
    }

    /// Creates a ticket and returns its id.
    func ticket(_ fields: JSON, headers: [(String, String)]? = nil) -> Int64 {
        call("POST", "/api/v2/tickets.json", ["ticket": fields], headers: headers).json["ticket"]["id"].int ?? -1
    }

    func update(_ id: Int64, _ fields: JSON) -> Reply {
        call("PUT", "/api/v2/tickets/\(id).json", ["ticket": fields])
    }

    func state(_ id: Int64) -> JSON {
        (emulator.snapshot()["tickets"].array ?? []).first { $0["id"].int == id } ?? .null
    }
}
