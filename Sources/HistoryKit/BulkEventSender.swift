import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// Sends events to Klaviyo in Bulk Create Events jobs, paced to the bulk quota: at most 1,000
/// events and ~4.5 MB per job (the limit is 5 MB), never one `unique_id` twice for the same
/// profile and metric in a job. A 429 is waited out (`Retry-After`) and the job sent again; a job
/// Klaviyo refuses (400 — a `unique_id` it has already recorded refuses the whole job) is sent
/// again event by event with `POST /api/events`, which records the first and ignores repeats; a
/// job too large (413) is split in two.
public final class BulkEventSender {
    public struct Stats: Sendable, Equatable {
        public var jobs = 0
        public var events = 0
        public var fallbackJobs = 0
        public var singles = 0
        public var throttled = 0
        public var refused: [(ticket: Int64?, metric: String, reason: String)] = []

        public static func == (a: Stats, b: Stats) -> Bool {
            a.jobs == b.jobs && a.events == b.events && a.fallbackJobs == b.fallbackJobs && a.singles == b.singles
                && a.throttled == b.throttled && a.refused.count == b.refused.count
        }
    }

    public static let jobBytes = 4_500_000
    let config: Config
    let transport: HTTPTransport
    let pacer: QuotaPacer
    public private(set) var stats = Stats()

    public init(config: Config, transport: HTTPTransport, pacer: QuotaPacer) {
        self.config = config
        self.transport = transport
        self.pacer = pacer
    }

    /// A client for one job (see `pacedClient`).
    func klaviyo() throws -> Klaviyo { try Klaviyo(config: config, http: pacedClient(transport: transport)) }

    /// One job: its events and its body, ready to send.
    public struct Job: Sendable {
        public var events: [KlaviyoEvent]
        public var body: [UInt8]
    }

    /// The jobs `events` make: in order, a repeated key left out, cut at 1,000 events or
    /// `jobBytes`. Pure (the export thread makes them while the sender sends the previous page's).
    public static func jobs(_ events: [KlaviyoEvent], maxEvents: Int = KlaviyoBulkEvents.maxEvents) -> [Job] {
        var out: [Job] = []
        var current: [(event: KlaviyoEvent, bytes: [UInt8])] = []
        var keys: Set<String> = []
        var bytes = 0
        func flush() {
            guard !current.isEmpty else { return }
            out.append(Job(events: current.map(\.event), body: KlaviyoBulkEvents.body(items: current)))
            current = []
            keys = []
            bytes = 0
        }
        for e in events {
            let key = KlaviyoBulkEvents.key(e)
            if keys.contains(key) { continue }
            let item = KlaviyoBulkEvents.item(e)
            // An entry's own bytes (type, profile) are at most a few hundred.
            if current.count >= maxEvents || bytes + item.count + 400 > jobBytes { flush() }
            current.append((e, item))
            keys.insert(key)
            bytes += item.count + 400
        }
        flush()
        return out
    }

    /// Sends one job; returns when Klaviyo has accepted it (or its events one by one — those it
    /// refused are in `stats.refused`; see the type's description for what each answer leads to).
    /// Throws when Klaviyo stays unavailable or refuses the credentials.
    public func send(_ job: Job) throws {
        while true {
            pacer.take()
            let response = try klaviyo().createEventsInBulk(job.body)
            if pacer.observe(response) {
                stats.throttled += 1
                continue
            }
            switch response.status {
            case 200..<300:
                stats.jobs += 1
                stats.events += job.events.count
                return
            case 413 where job.events.count > 1:
                let half = job.events.count / 2
                for part in [Array(job.events[..<half]), Array(job.events[half...])] {
                    for j in Self.jobs(part) { try send(j) }
                }
                return
            case 400, 409, 413:
                stats.fallbackJobs += 1
                try sendSingly(job.events)
                return
            default:
                throw ServiceError(service: "klaviyo", method: "POST", path: KlaviyoBulkEvents.path, response: response)
            }
        }
    }

    /// One `POST /api/events` per event (the client retries 429 after `Retry-After`; Klaviyo's
    /// create-event quota is 350/s burst, 3,500/min steady, far above a job's 1,000).
    func sendSingly(_ job: [KlaviyoEvent]) throws {
        for e in job {
            var policy = RetryPolicy()
            policy.maxAttempts = 6
            let client = try Klaviyo(
                config: config, http: HTTPClient(deadline: Deadline(seconds: 60), policy: policy, transport: transport))
            do {
                try client.createEvent(e)
                stats.singles += 1
                stats.events += 1
            } catch let error as ServiceError where error.code != .unauthorized {
                let ticket = e.properties["Ticket_id"].int
                stats.refused.append((ticket, e.metric, "\(error.status) \(error.body.serialized().prefix(200))"))
            }
        }
    }
}
