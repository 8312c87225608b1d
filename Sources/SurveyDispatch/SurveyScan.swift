import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// `survey-dispatch --scan`: finds due tickets itself, so no Zendesk automation is needed.
///
/// Searches `type:ticket status:solved -tags:<SURVEY_TAG> updated<(now − delay)>`, most recently
/// updated first (now is Zendesk's clock; the search is repeated with it when the local clock is
/// more than a minute off), then runs the full live check and dispatch for each ticket with a
/// fresh time budget. Prints one result line per ticket, then a summary line (`not_returned`: how
/// many matches lay beyond Zendesk's 1000 results, also logged as a warning). Exit 0, or the first
/// failure's status.
public enum SurveyScan {
    public static func run(context: FunctionContext) throws -> Int32 {
        let dispatcher = try SurveyDispatchHandler(context: context)
        func query(_ now: Date) -> String {
            let bound = now.addingTimeInterval(-dispatcher.settings.delayHours * 3600)
            return "type:ticket status:solved -tags:\(dispatcher.settings.tag) updated<\(Clock.iso8601(bound))"
        }
        let started = Clock.monotonicMS()
        let local = context.now
        // Newest first: tickets skipped for good (no public comment, no email) stay solved and
        // untagged, and in id or relevance order they could fill Zendesk's 1000 results and hide
        // the tickets that just came due.
        var search = try dispatcher.zendesk.searchTickets(query(local), newestUpdatedFirst: true)
        if let server = search.serverDate, abs(server.timeIntervalSince(local)) > 60 {
            search = try SurveyDispatchHandler(context: context.nextEvent()).zendesk.searchTickets(
                query(server), newestUpdatedFirst: true)
        }
        let ids = search.tickets.compactMap { $0["id"].int }
        if search.notReturned > 0 {
            context.log.warn(
                "the search matched \(search.total ?? 0) tickets and returned \(ids.count) (Zendesk's limit): "
                    + "the \(search.notReturned) least recently updated are not checked in this scan")
            context.log.finish(
                outcome: "searched", durationMS: Clock.monotonicMS() - started, mode: context.mode,
                extra: ["found": .int(Int64(ids.count)), "not_returned": .int(Int64(search.notReturned))])
        }
        var counts: [String: Int] = [:]
        var status: Int32 = 0
        for id in ids {
            // Each ticket is one event: its own deadline, plan, error object and log line.
            let e = FunctionRunner.evaluate(
                SurveyDispatchFunction.definition, context: context, annotate: ["ticket_id": .int(id)]
            ) { event in
                .result(try SurveyDispatchHandler(context: event).run(ticketID: id))
            }
            if status == 0 { status = e.status }
            counts[e.result["outcome"].string ?? "unknown", default: 0] += 1
            StandardStreams.write(e.result.serializedBytes() + [0x0A])
        }
        var summary: JSON = ["function": .string(context.name), "outcome": "scanned", "found": .int(Int64(ids.count))]
        if search.notReturned > 0 { summary["not_returned"] = .int(Int64(search.notReturned)) }
        for (k, v) in counts { summary[k] = .int(Int64(v)) }
        StandardStreams.write(summary.serializedBytes() + [0x0A])
        return status
    }
}
