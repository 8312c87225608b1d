import BundleCore
import FoundationEssentials
import FunctionRuntime
import HTTPServer
import ServiceClients
import TicketMetrics

/// `./invoke backfill`: the account's ticket history as Klaviyo "Opened Ticket" / "Resolved
/// Ticket" events. One thread reads the export (paced), this one turns each page into events,
/// sends them in bulk jobs (paced) and checkpoints; a dry run reads the same and sends nothing.
public final class BackfillCommand {
    let options: BackfillOptions
    let config: Config
    let transport = HTTPTransport()
    let write: (String) -> Void
    let log: EventLog
    let stateDirectory: String

    public init(options: BackfillOptions, config: Config, stateDirectory: String, write: @escaping (String) -> Void) {
        self.options = options
        self.config = config
        self.stateDirectory = stateDirectory
        self.write = write
        log = EventLog(
            function: "backfill", redactor: Redactor(secrets: config.secrets),
            attentionFile: config.value(ConfigKey.attentionLog))
    }

    /// One export page turned into what the sending side does with it.
    struct PlannedPage {
        var tickets: Int
        var afterCursor: String?
        var endOfStream: Bool
        /// The `updated_at` (Unix seconds) the export reached with it.
        var position: Int64?
        /// Counts by name (as in the checkpoint).
        var counts: [String: Int] = [:]
        var events: [KlaviyoEvent] = []
        /// The bulk jobs of `events` (made only when sending).
        var jobs: [BulkEventSender.Job] = []
    }

    enum Delivery {
        case page(PlannedPage)
        case failed(Error)
    }

    /// The events of one page and their counts (on the export thread, so building a page's jobs
    /// overlaps with sending the previous one's).
    static func plan(
        _ page: ZendeskExportPage, window: HistoryWindow, brands: Set<Int64>, account: String, zendesk: Zendesk,
        makeJobs: Bool
    ) -> PlannedPage {
        var planned = PlannedPage(
            tickets: page.tickets.count, afterCursor: page.afterCursor, endOfStream: page.endOfStream,
            position: page.position)
        for t in page.tickets {
            for item in BackfillRules.items(
                ticket: t, page: page, window: window, brands: brands, account: account,
                agentURL: zendesk.agentURL(ticket:))
            {
                switch item {
                case .event(let e, let brand):
                    planned.events.append(e)
                    planned.counts[e.metric, default: 0] += 1
                    planned.counts["\(e.metric)@\(brand.map(String.init) ?? "none")", default: 0] += 1
                case .skip(let metric, let reason, _):
                    planned.counts["skipped:\(metric.rawValue):\(reason)", default: 0] += 1
                }
            }
        }
        if makeJobs { planned.jobs = BulkEventSender.jobs(planned.events) }
        return planned
    }

    /// Runs the backfill; returns the exit status (0 done; 65 when Klaviyo refused some events,
    /// which are listed for a person).
    public func run() throws -> Int32 {
        let started = Clock.monotonicMS()
        let zendesk = try Zendesk(config: config, http: HTTPClient(deadline: Deadline(seconds: 60)))
        _ = try Klaviyo(config: config, http: HTTPClient(deadline: Deadline(seconds: 60)))  // settings checked up front
        let account = TicketMetricsRules.accountKey(zendeskURL: zendesk.client.baseURL)
        let statePath = options.statePath ?? options.defaultStatePath(directory: stateDirectory)
        var window = options.window
        var checkpoint = ExportCheckpoint(window: window, brands: options.brands)
        var resumed = false
        if options.apply, let saved = try ExportCheckpoint.load(statePath) {
            guard saved.window.since == window.since, saved.brands == options.brands,
                !options.untilGiven || saved.window.until == window.until
            else {
                throw HistoryError(
                    .state,
                    "the state file \(statePath) belongs to another run (since \(saved.window.since), until \(saved.window.until), brands \(saved.brands)); give another --state or remove it"
                )
            }
            checkpoint = saved
            window = saved.window
            resumed = true
            if saved.done {
                write("backfill: already complete (state file \(statePath)); nothing to do")
                if options.json {
                    write(
                        summary(
                            checkpoint, sender: nil, pacers: [], resumed: true, statePath: statePath, started: started
                        ).serialized())
                }
                return 0
            }
        }
        let pacers = options.export.pacers()
        let export = pacers[0]
        let bulk = QuotaPacer(name: "bulk", perMinute: options.bulkRate)
        let reader = ExportReader(
            config: config, transport: transport, pacers: pacers, include: BackfillRules.sideloads,
            start: checkpoint.cursor.map { .cursor($0) } ?? .startTime(window.since), perPage: options.export.pageSize)
        let sender = BulkEventSender(config: config, transport: transport, pacer: bulk)
        let progress = ExportProgress(style: options.export.progress, window: window)
        let queue = PageQueue<Delivery?>(capacity: 2)
        let brands = Set(options.brands)
        let makeJobs = options.apply
        Thread.detach {
            do {
                while let page = try reader.next() {
                    queue.put(
                        .page(
                            Self.plan(
                                page, window: window, brands: brands, account: account, zendesk: zendesk,
                                makeJobs: makeJobs)))
                }
                queue.put(nil)
            } catch {
                queue.put(.failed(error))
            }
        }
        var sample: JSON?
        var stop: Error?
        while let delivery = queue.take() {
            guard case .page(let page) = delivery else {
                if case .failed(let e) = delivery { stop = e }
                break
            }
            if sample == nil { sample = page.events.first?.body }
            if options.list { for e in page.events { write(e.body.serialized()) } }
            if options.apply {
                do {
                    for job in page.jobs { try sender.send(job) }
                } catch {
                    stop = error
                    break
                }
            }
            for (k, v) in page.counts { checkpoint.counts[k, default: 0] += v }
            checkpoint.pages += 1
            checkpoint.tickets += page.tickets
            if let c = page.afterCursor { checkpoint.cursor = c }
            if page.endOfStream { checkpoint.done = true }
            if options.apply { try checkpoint.save(statePath) }
            progress.update(
                pages: checkpoint.pages, tickets: checkpoint.tickets, position: page.position, quota: export)
        }
        progress.finish(
            pages: checkpoint.pages, tickets: checkpoint.tickets, quota: export)
        for r in sender.stats.refused {
            log.needsPerson(
                "backfill_event_refused", ticketID: r.ticket, detail: "Klaviyo refused \"\(r.metric)\": \(r.reason)",
                action:
                    "fix the ticket's requester (email / phone) or the event, then send it again with ./invoke backfill"
            )
        }
        let doc = summary(
            checkpoint, sender: options.apply ? sender.stats : nil, pacers: pacers + [bulk], resumed: resumed,
            statePath: options.apply ? statePath : nil, started: started, sample: sample)
        if options.json {
            write(doc.serialized())
        } else {
            write(Self.text(doc, apply: options.apply))
        }
        let outcome = stop == nil ? (sender.stats.refused.isEmpty ? "done" : "refused_events") : "stopped"
        log.finish(
            outcome: outcome, durationMS: Clock.monotonicMS() - started, mode: .pipeline,
            extra: ["pages": .int(Int64(checkpoint.pages)), "tickets": .int(Int64(checkpoint.tickets))],
            error: stop.map(RuntimeError.from))
        if let stop { throw stop }
        return sender.stats.refused.isEmpty ? 0 : RuntimeError.Code.invalidEvent.exitStatus
    }

    /// The plan or the outcome as one JSON document.
    func summary(
        _ c: ExportCheckpoint, sender: BulkEventSender.Stats?, pacers: [QuotaPacer], resumed: Bool, statePath: String?,
        started: Double, sample: JSON? = nil
    ) -> JSON {
        var events: [String: JSON] = [:]
        var skipped: [String: JSON] = [:]
        for metric in TicketMetric.allCases {
            var byBrand: [String: JSON] = [:]
            for (k, v) in c.counts where k.hasPrefix(metric.rawValue + "@") {
                byBrand[String(k.dropFirst(metric.rawValue.count + 1))] = .int(Int64(v))
            }
            events[metric.rawValue] = [
                "total": .int(Int64(c.counts[metric.rawValue] ?? 0)), "by_brand": .object(byBrand),
            ]
        }
        for (k, v) in c.counts where k.hasPrefix("skipped:") { skipped[String(k.dropFirst(8))] = .int(Int64(v)) }
        var doc: JSON = [
            "mode": options.apply ? "apply" : "dry_run",
            "window": c.window.json,
            "brands": .array(c.brands.map { .int($0) }), "pages": .int(Int64(c.pages)),
            "tickets": .int(Int64(c.tickets)), "complete": .bool(c.done), "resumed": .bool(resumed),
            "events": .object(events), "skipped": .object(skipped),
            "duration_s": .double(((Clock.monotonicMS() - started) / 10).rounded() / 100),
        ]
        if let sample { doc["sample"] = sample }
        if let statePath { doc["state_file"] = .string(statePath) }
        var quota: [String: JSON] = [:]
        for p in pacers {
            let u = p.usage
            quota[p.name] = [
                "per_minute": .int(Int64(p.perMinute)), "requests": .int(Int64(u.requests)),
                "throttled": .int(Int64(u.throttled)), "share": .double((u.share * 1000).rounded() / 1000),
            ]
        }
        doc["quota"] = .object(quota)
        if let s = sender {
            doc["sent"] = [
                "bulk_jobs": .int(Int64(s.jobs)), "events": .int(Int64(s.events)),
                "fallback_jobs": .int(Int64(s.fallbackJobs)), "single_events": .int(Int64(s.singles)),
                "throttled": .int(Int64(s.throttled)),
                "refused": .array(
                    s.refused.map {
                        ["ticket_id": JSON($0.ticket), "metric": .string($0.metric), "reason": .string($0.reason)]
                    }
                ),
            ]
        }
        return doc
    }

    /// The summary for a person.
    static func text(_ d: JSON, apply: Bool) -> String {
        var lines: [String] = []
        let w = "\(d.at("window.since").string ?? "") … \(d.at("window.until").string ?? "")"
        lines.append(apply ? "Backfill \(w)" : "Backfill plan \(w) (dry run: nothing was sent)")
        lines.append("  tickets read: \(d["tickets"].int ?? 0) in \(d["pages"].int ?? 0) export pages")
        for metric in TicketMetric.allCases {
            let m = d["events"][metric.rawValue]
            let brands = (m["by_brand"].object ?? [:]).sorted { $0.key < $1.key }.map {
                "brand \($0.key): \($0.value.int ?? 0)"
            }
            lines.append(
                "  \(metric.rawValue): \(m["total"].int ?? 0)"
                    + (brands.isEmpty ? "" : " (\(brands.joined(separator: ", ")))"))
        }
        for (k, v) in (d["skipped"].object ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines.append("  skipped \(k): \(v.int ?? 0)")
        }
        if apply {
            let s = d["sent"]
            lines.append(
                "  sent: \(s["events"].int ?? 0) events in \(s["bulk_jobs"].int ?? 0) bulk jobs; \(s["fallback_jobs"].int ?? 0) jobs sent again one by one; 429s waited out: \(s["throttled"].int ?? 0)"
            )
            for r in s["refused"].array ?? [] {
                lines.append(
                    "  NEEDS A PERSON: ticket \(r["ticket_id"].int ?? 0) \"\(r["metric"].string ?? "")\" refused: \(r["reason"].string ?? "")"
                )
            }
            if let f = d["state_file"].string { lines.append("  state file: \(f)") }
        } else {
            if !d["sample"].isNull { lines.append("  sample body: \(d["sample"].serialized())") }
            lines.append("Run again with --apply to send.")
        }
        return lines.joined(separator: "\n")
    }
}
