import FunctionRuntime
import ServiceClients

/// The `survey-dispatch` function: sends the 2listen survey once a ticket is really finished.
public enum SurveyDispatchFunction {
    public static let definition = FunctionDefinition(
        name: "survey-dispatch",
        summary: "sends the 2listen survey for a solved ticket, exactly once",
        details: """
            Input: any Zendesk event or trigger/automation body naming a ticket (detail.id, subject
            zen:ticket:ID, ticket_id, ticket.id or id). The ticket is re-read live; the survey goes out
            when it is solved, SURVEY_DELAY_HOURS (2) have passed since it was solved, it has a public
            comment, lacks SURVEY_TAG (pesquisa2listen_disparada) and the requester has an email.
            POST SURVEY_URL (Basic SURVEY_EMAIL/token : SURVEY_TOKEN) with name, email, ticket_id and the
            members of SURVEY_BODY_TEMPLATE (JSON, {{ticket.requester.name}}-style placeholders), then
            SURVEY_TAG is added. A claim tag taken with safe_update first makes it exactly once.
            """,
        signatures: [.zendesk],
        commands: ["--scan": { context in try SurveyScan.run(context: context) }],
        commandHelp: ["--scan": "find due tickets (search) and dispatch each; one line per ticket, then a summary"],
        confirmations: ["confirmed", "recorded"]
    ) { event, context in
        .result(
            try SurveyDispatchHandler(context: context).run(ticketID: try SurveyDispatchEvent.ticketID(in: event.json)))
    }
}
