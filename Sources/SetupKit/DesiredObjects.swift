import FunctionRuntime

/// The objects a deployment needs, as a pure function of the options.
///
/// - always: a Zendesk event-subscription webhook for `ticket.created` and
///   `ticket.status_changed` → the `/zendesk/tickets` route (brand filter → ticket metrics), or,
///   with `--triggers`, a trigger-driven webhook and the triggers "created" and "closed";
/// - `--sms`: a webhook for `ticket.comment_added` → `/zendesk/comments` (agent replies as SMS),
///   the automation "close SMS tickets 24 h after solved", the view "SMS tickets", and (when a
///   Klaviyo key is configured and the URL is https) a Klaviyo webhook for inbound SMS →
///   `/klaviyo/webhooks`;
/// - `--survey`: a trigger-driven webhook → `/survey/dispatch` and an hourly automation calling it
///   for solved tickets (2 h or more since the update, a public comment, neither the survey tag nor
///   the "requested" marker tag), which adds the marker tag so it calls once per solve.
public enum DesiredObjects {
    public static let ticketsRoute = "/zendesk/tickets"
    public static let commentsRoute = "/zendesk/comments"
    public static let surveyRoute = "/survey/dispatch"
    public static let klaviyoRoute = "/klaviyo/webhooks"
    /// Tag the survey automation adds so that it calls the survey route once per solve.
    public static let surveyRequestedTag = "zk_survey_requested"

    public static let ticketWebhookName = "\(ManagedObject.marker) ticket events → ticket-metrics"
    public static let commentWebhookName = "\(ManagedObject.marker) ticket comments → agent-reply"
    public static let surveyWebhookName = "\(ManagedObject.marker) survey dispatch → survey-dispatch"
    public static let closeAutomationName = "\(ManagedObject.marker) Close SMS tickets 24 h after solved"
    public static let surveyAutomationName = "\(ManagedObject.marker) 2listen survey for solved tickets"
    public static let smsViewName = "\(ManagedObject.marker) SMS tickets"
    public static let klaviyoWebhookName = "\(ManagedObject.marker) inbound SMS → sms-inbound"
    public static let ticketTriggerWebhookName = "\(ManagedObject.marker) ticket triggers → ticket-metrics"
    public static let commentTriggerWebhookName = "\(ManagedObject.marker) comment trigger → agent-reply"
    public static let createdTriggerName = "\(ManagedObject.marker) Ticket created → Opened Ticket"
    public static let closedTriggerName = "\(ManagedObject.marker) Ticket closed → Resolved Ticket"
    public static let commentTriggerName = "\(ManagedObject.marker) Public agent comment on an SMS ticket → SMS"

    /// The objects for `options`; `klaviyo` tells whether a Klaviyo key is configured,
    /// `surveyTag` the tag survey-dispatch adds, `smsTopics` the Klaviyo topics the webhook
    /// subscribes: the customers' texts (inbound → tickets) and the brand's messages that reached
    /// them (outbound → campaign/flow notes).
    public static func objects(
        for options: SetupOptions, klaviyo: Bool, surveyTag: String, smsTopics: [String]
    ) -> [ManagedObject] {
        guard !options.remove, let base = options.publicURL else { return [] }
        var list: [ManagedObject] =
            options.triggers
            ? ticketTriggers(base)
            : [
                webhook(
                    ticketWebhookName, base + ticketsRoute,
                    ["zen:event-type:ticket.created", "zen:event-type:ticket.status_changed"])
            ]
        if options.sms {
            list +=
                options.triggers
                ? commentTrigger(base)
                : [webhook(commentWebhookName, base + commentsRoute, ["zen:event-type:ticket.comment_added"])]
            list.append(
                ManagedObject(
                    kind: .zendeskAutomation, name: closeAutomationName,
                    body: [
                        "title": .string(closeAutomationName),
                        "active": true,
                        "conditions": [
                            "all": [
                                condition("status", "is", "solved"),
                                condition("SOLVED", "greater_than", "24"),
                                condition("current_tags", "includes", "sms"),
                            ],
                            "any": [],
                        ],
                        "actions": [["field": "status", "value": "closed"]],
                    ]))
            list.append(
                ManagedObject(
                    kind: .zendeskView, name: smsViewName,
                    body: [
                        "title": .string(smsViewName),
                        "active": true,
                        "all": [
                            condition("status", "less_than", "closed"), condition("current_tags", "includes", "sms"),
                        ],
                        "any": [],
                        "output": [
                            "columns": ["status", "requester", "description", "updated"], "sort_by": "updated",
                            "sort_order": "desc",
                        ],
                    ]))
            if klaviyo && base.hasPrefix("https://") {
                list.append(
                    ManagedObject(
                        kind: .klaviyoWebhook, name: klaviyoWebhookName,
                        body: [
                            "name": .string(klaviyoWebhookName),
                            "endpoint_url": .string(base + klaviyoRoute),
                            "topics": JSON(smsTopics),
                        ]))
            }
        }
        if options.survey {
            list.append(webhook(surveyWebhookName, base + surveyRoute, ["conditional_ticket_events"]))
            let payload = #"{"ticket_id":"{{ticket.id}}","source":"zendesk-automation"}"#
            list.append(
                ManagedObject(
                    kind: .zendeskAutomation, name: surveyAutomationName,
                    body: [
                        "title": .string(surveyAutomationName),
                        "active": true,
                        "conditions": [
                            "all": [
                                condition("status", "is", "solved"),
                                // Hours are whole hours: "greater than 1" fires once 2 h have passed.
                                condition("updated_at", "greater_than", "1"),
                                condition("ticket_is_public", "is", "public"),
                                condition("current_tags", "not_includes", .string(surveyTag)),
                                condition("current_tags", "not_includes", .string(surveyRequestedTag)),
                            ],
                            "any": [],
                        ],
                        "actions": [
                            [
                                "field": "notification_webhook",
                                "value": [.string("{{webhook:\(surveyWebhookName)}}"), .string(payload)],
                            ],
                            ["field": "current_tags", "value": .string(surveyRequestedTag)],
                        ],
                    ]))
        }
        return list
    }

    /// Trigger-driven ticket metrics: a `conditional_ticket_events` webhook and two triggers whose
    /// JSON bodies are the trigger bodies ticket-metrics reads (`type`, `ticket_id`, `status`,
    /// `brand_id` for the brand filter). Zendesk runs triggers on agent and API updates; a ticket
    /// closed by an automation may not fire them (see README).
    static func ticketTriggers(_ base: String) -> [ManagedObject] {
        let hook = "{{webhook:\(ticketTriggerWebhookName)}}"
        let created = #"{"type":"ticket.created","ticket_id":"{{ticket.id}}","brand_id":"{{ticket.brand.id}}"}"#
        let closed =
            #"{"type":"ticket.status_changed","ticket_id":"{{ticket.id}}","status":"closed","brand_id":"{{ticket.brand.id}}"}"#
        return [
            webhook(ticketTriggerWebhookName, base + ticketsRoute, ["conditional_ticket_events"]),
            trigger(createdTriggerName, all: [condition("update_type", "is", "Create")], hook: hook, body: created),
            trigger(closedTriggerName, all: [condition("status", "changed_to", "closed")], hook: hook, body: closed),
        ]
    }

    /// Trigger-driven agent replies: public comments by agents on tickets tagged `sms`.
    static func commentTrigger(_ base: String) -> [ManagedObject] {
        [
            webhook(commentTriggerWebhookName, base + commentsRoute, ["conditional_ticket_events"]),
            trigger(
                commentTriggerName,
                all: [
                    condition("comment_is_public", "is", "true"), condition("current_tags", "includes", "sms"),
                    condition("role", "is", "agent"),
                ],
                hook: "{{webhook:\(commentTriggerWebhookName)}}", body: #"{"ticket_id":"{{ticket.id}}"}"#),
        ]
    }

    static func trigger(_ name: String, all: [JSON], hook: String, body: String) -> ManagedObject {
        ManagedObject(
            kind: .zendeskTrigger, name: name,
            body: [
                "title": .string(name),
                "active": true,
                "conditions": ["all": .array(all), "any": []],
                "actions": [["field": "notification_webhook", "value": [.string(hook), .string(body)]]],
            ])
    }

    static func webhook(_ name: String, _ endpoint: String, _ subscriptions: [String]) -> ManagedObject {
        ManagedObject(
            kind: .zendeskWebhook, name: name,
            body: [
                "name": .string(name),
                "endpoint": .string(endpoint),
                "http_method": "POST",
                "request_format": "json",
                "status": "active",
                "subscriptions": JSON(subscriptions),
            ])
    }

    static func condition(_ field: String, _ op: String, _ value: JSON) -> JSON {
        ["field": .string(field), "operator": .string(op), "value": value]
    }
}
