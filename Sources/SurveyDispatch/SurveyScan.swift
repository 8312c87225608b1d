import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// `survey-dispatch --scan`: finds due tickets itself, so no Zendesk automation is needed.
///
/// Searches `type:ticket status:solved -tags:<SURVEY_TAG> updated<(now − delay)>` (now is
/// Zendesk's clock; the search is repeated with it when the local clock is more than a minute
/// off), then runs the full live check and dispatch for each ticket with a fresh time budget.
/// Prints one result line per ticket, then a summary line. Exit 0, or the first failure's status.
public enum SurveyScan {
    public static func run(context: FunctionContext) throws -> Int32 {
        let dispatcher = try SurveyDispatcher(context: context)
        let budget = Double(try context.config.int(ConfigKey.budgetMS, default: ConfigKey.defaultBudgetMS)) / 1000
        func query(_ now: Date) -> String {
            let bound = now.addingTimeInterval(-dispatcher.settings.delayHours * 3600)
            return "type:ticket status:solved -tags:\(dispatcher.settings.tag) updated<\(Clock.iso8601(bound))"
        }
        let local = context.now
        var search = try dispatcher.zendesk.searchTickets(query(local))
        if let server = search.serverDate, abs(server.timeIntervalSince(local)) > 60 {
            context.http.deadline = Deadline(seconds: budget)
            search = try dispatcher.zendesk.searchTickets(query(server))
        }
        let ids = search.tickets.compactMap { $0["id"].int }
        var counts: [String: Int] = [:]
        var status: Int32 = 0
        for id in ids {
            context.http.deadline = Deadline(seconds: budget)
            context.http.resetPlan()
            let started = Clock.monotonicMS()
            var line: JSON
            var failure: RuntimeError?
            do {
                line = try dispatcher.run(ticketID: id)
            } catch {
                let e = (error as? RuntimeError) ?? (error as? RuntimeErrorConvertible)?.runtimeError ?? RuntimeError(.internal, "\(error)")
                line = e.json
                line["ticket_id"] = .int(id)
                line["outcome"] = "error"
                if status == 0 { status = e.code.exitStatus }
                failure = e
            }
            line["function"] = .string(context.name)
            if context.dryRun { line["dry_run"] = true; line["plan"] = .array(context.http.plan) }
            let outcome = line["outcome"].string ?? "unknown"
            counts[outcome, default: 0] += 1
            StandardStreams.write(line.serializedBytes() + [0x0A])
            context.log.finish(outcome: outcome, durationMS: Clock.monotonicMS() - started, mode: context.mode,
                               extra: JSON.object(["ticket_id": .int(id), "reason": line["reason"]]).droppingNulls, error: failure)
        }
        var summary: JSON = ["function": .string(context.name), "outcome": "scanned", "found": .int(Int64(ids.count))]
        for (k, v) in counts { summary[k] = .int(Int64(v)) }
        StandardStreams.write(summary.serializedBytes() + [0x0A])
        return status
    }
}
