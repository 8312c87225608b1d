import FunctionRuntime
import ServiceClients
import SMSCore

/// `./invoke check`: verifies each configured credential with a harmless read, that the public
/// URL reaches `/healthz`, and that the webhooks setup creates exist, are active and are signed
/// with a secret the bundle knows; prints a table of what is ready and the exact fix for what
/// is not.
public struct CheckCommand {
    public struct Row: Equatable, Sendable {
        public enum Status: String, Sendable { case ready, missing, failed }
        public var item: String
        public var status: Status
        public var detail: String
        public var fix: String
    }

    public let options: SetupOptions
    public let context: FunctionContext

    public init(options: SetupOptions, context: FunctionContext) {
        self.options = options
        self.context = context
    }

    /// The setup command that fixes what check found for the chosen features, with `extra`
    /// arguments (e.g. `--sms-numbers …`) before `--apply`.
    func setupCommand(extra: String = "") -> String {
        "./invoke setup --public-url \(options.publicURL ?? "https://your.host")\(options.sms ? " --sms" : "")"
            + "\(options.survey ? " --survey" : "")\(options.triggers ? " --triggers" : "")\(extra) --apply"
    }

    /// Runs every check; `ready` is true only when everything the chosen features need is ready.
    public func run() -> (rows: [Row], ready: Bool) {
        var rows: [Row] = []
        let config = context.config
        let setupHint = setupCommand()

        // Zendesk credentials.
        var zendesk: Zendesk?
        do {
            let z = try Zendesk(config: config, http: context.http)
            let me = try z.currentUser()
            let role = me["role"].string ?? ""
            if me["id"].isNull || !(role == "admin" || role == "agent") {
                rows.append(
                    Row(
                        item: "Zendesk credentials", status: .failed,
                        detail: "authenticated as \(role.isEmpty ? "an anonymous user" : role)",
                        fix: "use an admin's email and API token (Admin Center → Apps and integrations → Zendesk API)"))
            } else {
                zendesk = z
                rows.append(
                    Row(
                        item: "Zendesk credentials", status: .ready,
                        detail: "\(role) at \(config.value(ConfigKey.zendeskURL) ?? "")", fix: ""))
            }
        } catch {
            rows.append(
                failure(
                    "Zendesk credentials", error,
                    fix:
                        "set ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN (or ZENDESK_OAUTH_TOKEN) to an admin's credentials"
                ))
        }

        // Klaviyo key (ticket metrics always need it; SMS with the Klaviyo provider too).
        do {
            let k = try Klaviyo(config: config, http: context.http)
            _ = try k.account()
            rows.append(Row(item: "Klaviyo API key", status: .ready, detail: "account readable", fix: ""))
            if options.sms, let row = try klaviyoWebhookRow(k, setupHint: setupHint) { rows.append(row) }
        } catch {
            rows.append(
                failure(
                    "Klaviyo API key", error,
                    fix:
                        "set KLAVIYO_API_KEY to a private key with events:write, profiles:read and accounts:read scopes"
                ))
        }

        if options.sms && config.value(ConfigKey.smsProvider, default: "klaviyo") == "twilio" {
            do {
                let t = try Twilio(config: config, http: context.http)
                _ = try t.account()
                rows.append(Row(item: "Twilio account", status: .ready, detail: "account readable", fix: ""))
                if let base = options.publicURL {
                    rows.append(try twilioNumbersRow(t, base: base, setupHint: setupHint))
                }
            } catch {
                rows.append(
                    failure(
                        "Twilio account", error,
                        fix: "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN from the Twilio console"))
            }
        }

        if options.survey {
            let missing = [ConfigKey.surveyURL, ConfigKey.surveyEmail, ConfigKey.surveyToken].filter {
                config.value($0) == nil
            }
            rows.append(
                missing.isEmpty
                    ? Row(
                        item: "2listen survey endpoint", status: .ready,
                        detail: "configured (not called: a call would send a survey)", fix: "")
                    : Row(
                        item: "2listen survey endpoint", status: .missing,
                        detail: "\(missing.joined(separator: ", ")) not set",
                        fix:
                            "set SURVEY_URL (the survey's Endpoint API), SURVEY_EMAIL (an admin's email) and SURVEY_TOKEN (a 2listen API token)"
                    ))
        }

        // Public URL.
        if let base = options.publicURL {
            do {
                let r = try context.http.send(HTTPRequest("GET", base + "/healthz", service: "bundle"))
                rows.append(
                    r.status == 200
                        ? Row(item: "Public URL", status: .ready, detail: "\(base)/healthz answered 200", fix: "")
                        : Row(
                            item: "Public URL", status: .failed, detail: "\(base)/healthz answered \(r.status)",
                            fix: "make \(base) reach `./invoke serve` (reverse proxy or tunnel), then run check again"))
            } catch {
                rows.append(
                    failure(
                        "Public URL", error,
                        fix: "make \(base) reach `./invoke serve` (reverse proxy or tunnel), then run check again"))
            }
        } else {
            rows.append(
                Row(
                    item: "Public URL", status: .missing, detail: "no --public-url or PUBLIC_URL",
                    fix: "set PUBLIC_URL to the https address Zendesk calls"))
        }

        // Webhooks and their secrets.
        if let zendesk {
            rows += webhookRows(zendesk, setupHint: setupHint)
        }
        let ready = rows.allSatisfy { $0.status == .ready }
        return (rows, ready)
    }

    /// Whether a Twilio number posts incoming texts to the bundle. The fix is what would actually
    /// change it: setup when it would point a number, `--sms-numbers` naming the numbers another
    /// application uses (setup leaves those alone otherwise), or getting a number at all.
    func twilioNumbersRow(_ twilio: Twilio, base: String, setupHint: String) throws -> Row {
        let target = base + TwilioNumberPlan.route
        let numbers = try twilio.incomingNumbers()
        let pointed = numbers.filter { $0.smsURL == target }
        if !pointed.isEmpty {
            return Row(
                item: "Twilio numbers", status: .ready, detail: "\(pointed.count) number(s) post to \(target)", fix: "")
        }
        let plan = try TwilioNumberPlan.make(
            numbers: numbers, publicURL: base, chosen: options.smsNumbers, remove: false)
        let detail = "no number posts incoming texts to \(target)"
        if plan.contains(where: { $0.action == .point }) {
            return Row(item: "Twilio numbers", status: .missing, detail: detail, fix: setupHint)
        }
        let elsewhere = plan.filter { $0.action == .leave }.map(\.number.phoneNumber)
        if !elsewhere.isEmpty {
            let hint = setupCommand(extra: " --sms-numbers \(elsewhere.joined(separator: ","))")
            return Row(
                item: "Twilio numbers", status: .missing,
                detail: detail + "; \(elsewhere.joined(separator: ", ")) post(s) to another application",
                fix: "to take them over: " + hint)
        }
        return Row(
            item: "Twilio numbers", status: .missing, detail: detail + "; the account has no phone number",
            fix:
                "buy or port an SMS-capable number in the Twilio console (Phone Numbers → Buy a number), then run setup"
        )
    }

    /// The Klaviyo webhook for SMS (Klaviyo provider): present and subscribed to every topic —
    /// inbound texts ("Sent SMS"), the brand's messages ("Received SMS") and those that failed ("Failed
    /// to Deliver SMS"). Nil when not
    /// applicable; a row saying so when the account cannot use the Webhooks API, and a missing row
    /// when the public URL is not https (Klaviyo calls only https endpoints, so setup skips it and
    /// nothing could arrive).
    func klaviyoWebhookRow(_ klaviyo: Klaviyo, setupHint: String) throws -> Row? {
        guard context.config.value(ConfigKey.smsProvider, default: "klaviyo") == "klaviyo", let base = options.publicURL
        else { return nil }
        let item = "Klaviyo SMS webhook"
        guard base.hasPrefix("https://") else {
            return Row(
                item: item, status: .missing,
                detail: "Klaviyo delivers webhooks only to https URLs; \(base) is not, so no inbound text can arrive",
                fix:
                    "serve the bundle over https (reverse proxy or tunnel) and run setup with that URL, or use SMS_PROVIDER=twilio"
            )
        }
        let topics = try SMSSettings(config: context.config).klaviyoTopics
        let existing: [ExistingObject]
        do { existing = try klaviyo.managedWebhooks() } catch let e as ServiceError
            where e.status == 403 || e.status == 404
        {
            return Row(
                item: item, status: .missing, detail: "this account cannot use Klaviyo's Webhooks API (\(e.status))",
                fix:
                    "create it in Klaviyo's UI (README, Klaviyo webhook): \(base)\(DesiredObjects.klaviyoRoute), topics \(topics.joined(separator: " and "))"
            )
        }
        guard let hook = existing.first(where: { $0.name == DesiredObjects.klaviyoWebhookName }) else {
            return Row(item: item, status: .missing, detail: "not in Klaviyo", fix: setupHint)
        }
        let subscribed = Set((hook.body["topics"].array ?? []).compactMap(\.string))
        let absent = topics.filter { !subscribed.contains($0) }
        guard absent.isEmpty else {
            return Row(
                item: item, status: .failed, detail: "not subscribed to \(absent.joined(separator: ", "))",
                fix: setupHint)
        }
        return Row(
            item: item, status: .ready,
            detail: "\(topics.joined(separator: " + ")) → \(hook.body["endpoint_url"].string ?? "")", fix: "")
    }

    func webhookRows(_ zendesk: Zendesk, setupHint: String) -> [Row] {
        let wanted = DesiredObjects.objects(for: options, klaviyo: false, surveyTag: "", smsTopics: []).filter {
            $0.kind == .zendeskWebhook
        }
        guard !wanted.isEmpty else { return [] }
        let existing: [ExistingObject]
        do { existing = try zendesk.managedObjects(.zendeskWebhook) } catch {
            return [failure("Zendesk webhooks", error, fix: "the Zendesk user needs admin rights to read webhooks")]
        }
        var rows: [Row] = []
        let entries = context.config.list(ConfigKey.zendeskWebhookSecret)
        for w in wanted {
            let endpoint = w.body["endpoint"].string ?? ""
            let route = String(endpoint.dropFirst(options.publicURL?.count ?? 0))
            let known = Set(SignatureCheck.secrets(entries, path: route))
            let short = String(w.name.dropFirst(ManagedObject.marker.count + 1))
            guard let e = existing.first(where: { $0.name == w.name }) else {
                rows.append(Row(item: "Webhook: \(short)", status: .missing, detail: "not in Zendesk", fix: setupHint))
                continue
            }
            let diff = SetupPlan.differences(w, e, webhookIDs: [:])
            if e.body["status"].string != "active" {
                rows.append(
                    Row(
                        item: "Webhook: \(short)", status: .failed, detail: "status \(e.body["status"].string ?? "?")",
                        fix: setupHint))
            } else if !diff.isEmpty {
                rows.append(
                    Row(
                        item: "Webhook: \(short)", status: .failed, detail: "differs: \(diff.joined(separator: ", "))",
                        fix: setupHint))
            } else if let secret = try? zendesk.webhookSigningSecret(id: e.id), !known.contains(secret) {
                rows.append(
                    Row(
                        item: "Webhook: \(short)", status: .failed,
                        detail: "its signing secret is not in ZENDESK_WEBHOOK_SECRET for \(route)",
                        fix:
                            "add \(route)=<the webhook's signing secret> (Admin Center → Webhooks → Reveal secret) to ZENDESK_WEBHOOK_SECRET, comma-separated"
                    ))
            } else {
                rows.append(
                    Row(
                        item: "Webhook: \(short)", status: .ready,
                        detail: "active → \(e.body["endpoint"].string ?? "")", fix: ""))
            }
        }
        return rows
    }

    func failure(_ item: String, _ error: Error, fix: String) -> Row {
        if let e = error as? ServiceError {
            let what =
                e.code == .unauthorized
                ? "credentials refused (HTTP \(e.status))" : "HTTP \(e.status) from \(e.service)"
            return Row(item: item, status: .failed, detail: what, fix: fix)
        }
        if let e = error as? RuntimeError {
            return Row(item: item, status: e.code == .configMissing ? .missing : .failed, detail: e.message, fix: fix)
        }
        return Row(item: item, status: .failed, detail: "\(error)", fix: fix)
    }

    /// The rows as an aligned text table.
    public static func table(_ rows: [Row]) -> String {
        let w0 = max(4, rows.map(\.item.count).max() ?? 0), w1 = 7
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(1, w - s.count + 1)) }
        var lines = [pad("ITEM", w0) + pad("STATUS", w1) + "DETAIL / FIX"]
        for r in rows {
            lines.append(pad(r.item, w0) + pad(r.status.rawValue, w1) + r.detail)
            if !r.fix.isEmpty { lines.append(String(repeating: " ", count: w0 + w1 + 2) + "fix: " + r.fix) }
        }
        return lines.joined(separator: "\n")
    }
}
