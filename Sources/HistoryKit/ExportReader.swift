import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// Reads a Zendesk account's tickets page by page through the cursor-based incremental export,
/// within its quotas: each page waits its turn on the export's pacer (10 requests a minute by
/// default; 30 with the high-volume add-on) and on the account's (the export counts against both);
/// a 429 is waited out for its `Retry-After` and the same page asked again; a service that stays
/// unavailable is retried for about a minute before the run stops (its state file lets it go on).
public final class ExportReader {
    public let include: [String]
    /// Tickets per page when smaller than Zendesk's 1,000 (`--page-size`).
    public let perPage: Int?
    public private(set) var position: Zendesk.ExportPosition
    public private(set) var finished = false
    /// Export requests answered 200, and those refused with 429 (each waited out).
    public private(set) var pages = 0
    public private(set) var throttled = 0
    let config: Config
    let transport: HTTPTransport
    let pacers: [QuotaPacer]
    let sleeper: (Double) -> Void
    static let unavailableRetries = 6

    public init(
        config: Config, transport: HTTPTransport, pacers: [QuotaPacer], include: [String],
        start: Zendesk.ExportPosition, perPage: Int? = nil, sleeper: @escaping (Double) -> Void = Clock.sleep
    ) {
        self.perPage = perPage
        self.config = config
        self.transport = transport
        self.pacers = pacers
        self.include = include
        self.position = start
        self.sleeper = sleeper
    }

    /// A client for one page (see `pacedClient`).
    func zendesk() throws -> Zendesk { try Zendesk(config: config, http: pacedClient(transport: transport)) }

    /// The next page, or nil once a page said `end_of_stream`. Moves `position` to the page's
    /// `after_cursor`.
    public func next() throws -> ZendeskExportPage? {
        guard !finished else { return nil }
        var unavailable = 0
        while true {
            for p in pacers { p.take() }
            let zendesk = try zendesk()
            let response: HTTPResponse
            do {
                response = try zendesk.client.http.send(
                    zendesk.exportRequest(position, include: include, perPage: perPage))
            } catch let e as RuntimeError where e.code == .upstreamUnavailable {
                unavailable += 1
                if unavailable > Self.unavailableRetries { throw e }
                sleeper(10)
                continue
            }
            var limited = false
            for p in pacers where p.observe(response) { limited = true }
            if limited {
                throttled += 1
                continue
            }
            guard response.isSuccess else {
                throw ServiceError(
                    service: "zendesk", method: "GET", path: "/api/v2/incremental/tickets/cursor.json",
                    response: response)
            }
            let page = try ZendeskExportPage(response.json)
            pages += 1
            if let cursor = page.afterCursor { position = .cursor(cursor) }
            if page.endOfStream { finished = true }
            return page
        }
    }
}
