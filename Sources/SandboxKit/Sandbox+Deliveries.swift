import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Zendesk → bundle: event-subscription webhook deliveries.
///
/// When the Zendesk emulator emits an event, every webhook subscribed to its type gets the
/// payload, on a background thread outside the sandbox lock, in order per webhook. Each POST is
/// signed (`X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 of timestamp + body with the
/// webhook's signing secret, `X-Zendesk-Webhook-Signature-Timestamp`) and carries
/// `X-Zendesk-Webhook-Id`, `X-Zendesk-Webhook-Invocation-Id` (the same on every retry of one
/// invocation) and `X-Zendesk-Account-Id`. Zendesk's retry rules apply: a 409 is retried (up to
/// 3 times), a 429 or 503 is retried after its `Retry-After` when that is short, a timeout
/// (about 10 s) or a connection failure is retried; any other answer (a plain 500 included) is
/// final. Each invocation is recorded under `deliveries` in the state as
/// `{webhook_id, invocation_id, type, endpoint, event_id, ticket_id, status, attempts, statuses, outcome}`.
extension Sandbox {
    /// Queues the deliveries of one event. Called by the Zendesk emulator with the lock held.
    func enqueueZendeskEvent(type: String, payload: JSON) {
        queueWebhooks(type: type, payload: payload, targets: zendesk.webhookTargets(for: type))
    }

    /// Delivers `payload` as a Zendesk event-subscription webhook to `targets` (id, endpoint,
    /// signing secret) with the same signing, ordering, retries and records as the deliveries the
    /// Zendesk emulator triggers.
    public func deliverWebhooks(type: String, payload: JSON, targets: [(id: String, endpoint: String, secret: String)])
    {
        lock.withLock { queueWebhooks(type: type, payload: payload, targets: targets) }
    }

    /// Records and queues deliveries. Call with the lock held.
    func queueWebhooks(type: String, payload: JSON, targets: [(id: String, endpoint: String, secret: String)]) {
        let body = payload.serializedBytes()
        let accountID = payload["account_id"].string ?? config.at("zendesk.account_id").string ?? "10001"
        for target in targets {
            queueJob(
                WebhookJob(
                    index: 0, webhookID: target.id, invocationID: EmulatorSupport.randomHex(8),
                    endpoint: target.endpoint,
                    secret: target.secret, accountID: accountID, type: type, method: "POST", body: body),
                extra: ["event_id": payload["id"], "ticket_id": payload.at("detail.id")])
        }
    }

    /// Records and queues the webhook calls of triggers and automations (`notification_webhook`
    /// actions), signed like every Zendesk webhook. Call with the lock held.
    func queueRuleDeliveries(_ calls: [ZendeskRuleDelivery]) {
        let accountID = config.at("zendesk.account_id").string ?? "10001"
        for call in calls {
            queueJob(
                WebhookJob(
                    index: 0, webhookID: call.webhookID, invocationID: EmulatorSupport.randomHex(8),
                    endpoint: call.endpoint,
                    secret: call.secret, accountID: accountID, type: "\(call.ruleKind):\(call.ruleID)",
                    method: call.method.uppercased(), body: Array(call.body.utf8)),
                extra: ["ticket_id": .string(String(call.ticketID))])
        }
    }

    func queueJob(_ job: WebhookJob, extra: [String: JSON]) {
        var job = job
        job.index = deliveries.count
        var record: JSON = [
            "webhook_id": .string(job.webhookID), "invocation_id": .string(job.invocationID), "type": .string(job.type),
            "endpoint": .string(job.endpoint), "status": .null, "attempts": 0, "statuses": [],
            "outcome": "pending", "queued_at": .string(context.nowISO),
        ]
        for (k, v) in extra { record[k] = v }
        deliveries.append(record)
        let queued = job
        deliveryQueue.enqueue(key: job.webhookID) { [weak self] in self?.deliver(queued) }
    }

    /// Runs the Zendesk automations against the sandbox clock now and delivers the webhook calls
    /// they make. Returns how many calls were queued.
    @discardableResult
    public func runAutomations() -> Int {
        lock.withLock {
            let calls = zendesk.runAutomations(context: context)
            queueRuleDeliveries(calls)
            persist()
            return calls.count
        }
    }

    struct WebhookJob: Sendable {
        var index: Int
        var webhookID: String
        var invocationID: String
        var endpoint: String
        var secret: String
        var accountID: String
        var type: String
        var method: String
        var body: [UInt8]
    }

    /// Delivers one invocation with Zendesk's retry rules.
    func deliver(_ job: WebhookJob) {
        var attempts = 0
        var retries = 0
        var statuses: [JSON] = []
        var outcome = "failed"
        var lastStatus: Int?
        while true {
            attempts += 1
            let timestamp = Clock.iso8601(Date())
            let headers: [(String, String)] = [
                ("Content-Type", "application/json; charset=utf-8"),
                ("User-Agent", "Zendesk Webhook"),
                ("X-Zendesk-Webhook-Id", job.webhookID),
                ("X-Zendesk-Webhook-Invocation-Id", job.invocationID),
                ("X-Zendesk-Account-Id", job.accountID),
                ("X-Zendesk-Webhook-Signature-Timestamp", timestamp),
                // Without libcrypto the header is empty and the receiver refuses it (401), visibly.
                (
                    "X-Zendesk-Webhook-Signature",
                    (try? WebhookSignature.zendesk(secret: job.secret, timestamp: timestamp, body: job.body)) ?? ""
                ),
            ]
            let client = Self.oneAttemptClient(seconds: options.webhookTimeout)
            var wait: Double?
            do {
                let response = try client.send(
                    HTTPRequest(job.method, job.endpoint, headers: headers, body: job.body, service: "webhook"))
                lastStatus = response.status
                statuses.append(.int(Int64(response.status)))
                if (200..<300).contains(response.status) {
                    outcome = "delivered"
                } else if response.status == 409 {
                    wait = options.webhookRetryDelay
                } else if response.status == 429 || response.status == 503 {
                    let after = response.retryAfter ?? options.webhookRetryDelay
                    if after <= options.webhookMaxRetryAfter { wait = after }
                }
            } catch {
                lastStatus = nil
                statuses.append(.string("timeout or connection failure"))
                wait = options.webhookRetryDelay
            }
            let final = outcome == "delivered" || wait == nil || retries >= options.webhookMaxRetries
            let snapshot = (attempts, statuses, lastStatus, final ? outcome : "retrying")
            let line: String = lock.withLock {
                if deliveries.indices.contains(job.index),
                    deliveries[job.index]["invocation_id"].string == job.invocationID
                {
                    deliveries[job.index]["attempts"] = .int(Int64(snapshot.0))
                    deliveries[job.index]["statuses"] = .array(snapshot.1)
                    deliveries[job.index]["status"] = snapshot.2.map { .int(Int64($0)) } ?? .null
                    deliveries[job.index]["outcome"] = .string(snapshot.3)
                    if final { persist() }
                }
                return
                    "webhook \(job.webhookID) \(job.type) → \(snapshot.2.map(String.init) ?? "no answer") (attempt \(snapshot.0)\(final ? ", \(snapshot.3)" : ", will retry"))"
            }
            emit(line, redactor: lock.withLock { redactor })
            if final { return }
            retries += 1
            Clock.sleep(wait ?? 0)
        }
    }

    /// Waits until every queued webhook delivery has finished (or `timeout` seconds pass).
    @discardableResult
    public func waitForDeliveries(timeout: Double = 30) -> Bool { deliveryQueue.waitUntilIdle(timeout: timeout) }

    /// The webhook deliveries so far.
    public func deliveryLog() -> [JSON] { lock.withLock { deliveries } }
}
