import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// What Klaviyo's Inbox shows beside an SMS ticket (seed 003, the ticket overview panel), as read
/// for the customer-context note of a new SMS ticket.
public struct CustomerContext: Sendable, Equatable {
    public var profile: KlaviyoProfile
    /// The Zendesk tickets this requester had before this one (nil: could not be counted).
    public var earlierTickets: Int?
    /// The profile's most recent events (metric name, date), newest first.
    public var recentEvents: [(metric: String, at: Date)]

    public init(profile: KlaviyoProfile, earlierTickets: Int?, recentEvents: [(metric: String, at: Date)]) {
        self.profile = profile
        self.earlierTickets = earlierTickets
        self.recentEvents = recentEvents
    }

    public static func == (a: CustomerContext, b: CustomerContext) -> Bool {
        a.profile == b.profile && a.earlierTickets == b.earlierTickets
            && a.recentEvents.map(\.metric) == b.recentEvents.map(\.metric)
            && a.recentEvents.map(\.at) == b.recentEvents.map(\.at)
    }
}
