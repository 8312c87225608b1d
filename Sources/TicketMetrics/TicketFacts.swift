import FunctionRuntime
import ServiceClients

/// What `ticket-metrics` reads from Zendesk about one ticket.
public struct TicketFacts: Sendable, Equatable {
    /// The ticket as the REST API returns it.
    public var ticket: JSON
    public var requester: JSON?
    public var assignee: JSON?
    public var group: JSON?
    /// The agent URL of the ticket (`…/agent/tickets/ID`).
    public var agentURL: String

    public init(ticket: JSON, requester: JSON? = nil, assignee: JSON? = nil, group: JSON? = nil, agentURL: String) {
        self.ticket = ticket
        self.requester = requester
        self.assignee = assignee
        self.group = group
        self.agentURL = agentURL
    }

    /// What the ticket read sideloads.
    public static let sideloads = ["users", "groups"]

    /// Reads the ticket with its users and groups sideloaded; a user or group the sideload lacks
    /// is read by id. The assignee and group are the event snapshot's when it names them.
    public static func read(_ event: TicketEvent, zendesk: Zendesk) throws -> TicketFacts {
        let doc = try zendesk.ticket(id: event.ticketID, include: sideloads)
        let t = doc.ticket
        func user(_ id: Int64?) throws -> JSON? {
            guard let id, id > 0 else { return nil }
            if let u = doc.user(id) { return u }
            return try zendesk.user(id: id)
        }
        let assigneeID = event.detail["assignee_id"].int ?? t["assignee_id"].int
        let groupID = event.detail["group_id"].int ?? t["group_id"].int
        var group: JSON?
        if let groupID, groupID > 0 {
            group = try doc.groups.first(where: { $0["id"].int == groupID }) ?? zendesk.group(id: groupID)
        }
        return TicketFacts(
            ticket: t, requester: try user(t["requester_id"].int ?? event.detail["requester_id"].int),
            assignee: try user(assigneeID), group: group,
            agentURL: zendesk.agentURL(ticket: event.ticketID))
    }
}
