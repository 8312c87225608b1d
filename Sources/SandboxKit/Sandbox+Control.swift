import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The control API under `/_ctl`:
///
/// | | |
/// |---|---|
/// | `POST /_ctl/reset` | clear all state, configuration, logs, faults, deliveries, clock offset |
/// | `POST /_ctl/seed` | add records (see `seed(_:)`) |
/// | `GET /_ctl/state` | `{zendesk, klaviyo, twilio, survey, requests, deliveries, clock}` |
/// | `GET /_ctl/requests` | the service request log |
/// | `GET /_ctl/counts` | totals that stay small at any size: tickets, profiles, events per metric (backfilled or not), refused bulk jobs, answers per service and status |
/// | `GET /_ctl/deliveries` | the Zendesk webhook deliveries |
/// | `GET`/`POST /_ctl/faults` | list / replace the fault rules |
/// | `GET`/`POST /_ctl/config` | the configuration in effect / merge configuration |
/// | `GET`/`POST /_ctl/clock` | the clock / `{"advance_seconds": N}` moves it, then runs the Zendesk automations |
/// | `POST /_ctl/zendesk/run-automations` | run the Zendesk automations now (Zendesk runs them hourly) |
/// | `GET /_ctl/zendesk-event?type=…&ticket=ID[&comment=ID\|last][&previous=STATUS]` | a rendered event payload |
/// | `POST /_ctl/phone/text` | a customer texts an owned number (see `Sandbox+Phone.swift`) |
/// | `POST /_ctl/klaviyo/sms` | a campaign or flow SMS reaches a profile `{"profile_id"\|"phone","body","campaign"\|"flow"}` ("Received SMS") |
/// | `POST /_ctl/twilio/numbers` | add or reconfigure owned numbers `{"number","sms_url"}` |
///
/// Malformed control requests answer 400 `{"error":{"code":"usage","message"}}`.
extension Sandbox {
    func control(_ request: ServerRequest, path: String) -> ServerResponse {
        let m = request.method
        let route = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        do {
            switch (m, route) {
            case ("POST", "/reset"):
                reset()
                emit("control: reset", redactor: lock.withLock { redactor })
                return .json(200, ["ok": true])
            case ("POST", "/seed"):
                try seed(try body(request))
                emit("control: seeded", redactor: lock.withLock { redactor })
                return .json(200, ["ok": true])
            case ("GET", "/state"):
                return .json(200, state())
            case ("GET", "/counts"):
                return .json(200, lock.withLock { counts() })
            case ("GET", "/requests"):
                return .json(200, ["requests": .array(requestLog())])
            case ("GET", "/deliveries"):
                return .json(200, ["deliveries": .array(deliveryLog())])
            case ("GET", "/faults"):
                return .json(200, faultRules())
            case ("POST", "/faults"):
                try setFaults(try body(request))
                return .json(200, faultRules())
            case ("GET", "/config"):
                return .json(200, configuration())
            case ("POST", "/config"):
                try configure(try body(request))
                return .json(200, configuration())
            case ("GET", "/clock"):
                return .json(200, lock.withLock { clockDocument() })
            case ("POST", "/clock"):
                let doc = try body(request)
                guard let seconds = doc["advance_seconds"].double else {
                    throw RuntimeError(.usage, "send {\"advance_seconds\": N}")
                }
                advanceClock(seconds: seconds)
                let fired = runAutomations()
                var clock = lock.withLock { clockDocument() }
                clock["automation_webhooks"] = .int(Int64(fired))
                emit(
                    "control: clock advanced \(Int(seconds)) s, now \(clock["now"].string ?? "")",
                    redactor: lock.withLock { redactor })
                return .json(200, clock)
            case ("POST", "/zendesk/run-automations"):
                return .json(200, ["automation_webhooks": .int(Int64(runAutomations()))])
            case ("GET", "/zendesk-event"):
                return try zendeskEvent(request)
            case ("POST", "/phone/text"):
                return try phoneText(try body(request))
            case ("POST", "/klaviyo/sms"):
                let spec = try body(request)
                let item = try lock.withLock {
                    let item = try klaviyo.sendMarketingSMS(spec, context: context)
                    persist()
                    return item
                }
                return .json(200, ["event_id": item["external_id"], "topic": item["topic"]])
            case ("POST", "/twilio/numbers"):
                let doc = try body(request)
                let entries = doc["numbers"].array ?? doc.array ?? [doc]
                try lock.withLock {
                    for entry in entries { try twilio.addNumber(entry) }
                    persist()
                }
                return .json(
                    200,
                    [
                        "numbers": lock.withLock { twilio.snapshot()["numbers"] },
                        "sms_urls": lock.withLock { twilio.snapshot()["sms_urls"] },
                    ])
            default:
                return .json(
                    404, ["error": ["code": "not_found", "message": .string("no control endpoint \(m) /_ctl\(path)")]])
            }
        } catch let error as RuntimeError {
            return .json(400, ["error": ["code": "usage", "message": .string(error.message)]])
        } catch {
            return .json(400, ["error": ["code": "usage", "message": .string("\(error)")]])
        }
    }

    func body(_ request: ServerRequest) throws -> JSON {
        if request.body.isEmpty { return [:] }
        do { return try JSON.parse(request.body) } catch { throw RuntimeError(.usage, "the body is not JSON") }
    }

    /// `GET /_ctl/zendesk-event?type=ticket.created|ticket.status_changed|ticket.comment_added&ticket=ID
    /// [&comment=ID|last][&previous=STATUS]`: the payload the webhook would carry, rendered from the
    /// current state (`comment=last` or no comment: the emulator picks the latest comment).
    func zendeskEvent(_ request: ServerRequest) throws -> ServerResponse {
        guard let type = request.queryValue("type"), !type.isEmpty else {
            throw RuntimeError(.usage, "type is required")
        }
        guard let ticket = request.queryValue("ticket").flatMap({ Int64($0) }) else {
            throw RuntimeError(.usage, "ticket must be a ticket id")
        }
        var comment: Int64?
        if let c = request.queryValue("comment"), c != "last" {
            guard let id = Int64(c) else { throw RuntimeError(.usage, "comment must be a comment id or last") }
            comment = id
        }
        let previous = request.queryValue("previous")
        let payload = lock.withLock {
            zendesk.renderEvent(
                type: type.hasPrefix("zen:event-type:") ? String(type.dropFirst(15)) : type,
                ticketID: ticket, commentID: comment, previous: previous)
        }
        guard let payload else {
            return .json(
                404, ["error": ["code": "not_found", "message": .string("no ticket \(ticket) (or no such comment)")]])
        }
        return .json(200, payload)
    }
}
