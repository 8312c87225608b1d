import FunctionRuntime

/// What the sandbox's state shows, read from one `GET /_ctl/state`-shaped snapshot.
public struct SandboxFacts: Sendable {
    public let state: JSON

    public init(_ state: JSON) { self.state = state }

    public var tickets: [JSON] { state.at("zendesk.tickets").array ?? [] }
    public func ticket(_ id: Int64) -> JSON? { tickets.first { $0["id"].int == id } }
    public func tags(_ id: Int64) -> [String] { (ticket(id)?["tags"].array ?? []).compactMap(\.string) }
    public func comments(_ id: Int64) -> [JSON] { ticket(id)?["comments"].array ?? [] }
    /// The SMS conversation tickets of a customer with a brand number (`external_id` as sms-inbound sets it).
    public func smsTickets(customer: String, brandNumber: String) -> [JSON] {
        tickets.filter { $0["external_id"].string == "sms:\(customer):\(brandNumber)" }
    }

    /// Messages sent through the Twilio API (not the customers' inbound texts).
    public var sentSMS: [JSON] { state.at("twilio.messages").array ?? [] }
    public var klaviyoEvents: [JSON] { state.at("klaviyo.events").array ?? [] }
    /// Klaviyo events of `metric` whose `Ticket_id` property names `ticket`.
    public func klaviyoEvents(_ metric: String, ticket: Int64) -> [JSON] {
        klaviyoEvents.filter { e in
            guard e["metric"].string == metric else { return false }
            let id = e["properties"]["Ticket_id"]
            return id.int == ticket || id.string == String(ticket)
        }
    }
    public var surveys: [JSON] { state.at("survey.submissions").array ?? [] }
    public var deliveries: [JSON] { state["deliveries"].array ?? [] }
}
