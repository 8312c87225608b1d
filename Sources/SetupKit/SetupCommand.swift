import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore
#if canImport(Glibc)
import Glibc
#endif

/// `./invoke setup`: plans, and with `--apply` makes, the Zendesk and Klaviyo objects a
/// deployment needs. Idempotent: it finds its own objects by the `[zk-bundle]` name prefix, so a
/// second run plans nothing; `--remove` plans the deletion of all of them.
public struct SetupCommand {
    public let options: SetupOptions
    public let context: FunctionContext
    public let write: (String) -> Void

    public init(options: SetupOptions, context: FunctionContext, write: @escaping (String) -> Void) {
        self.options = options
        self.context = context
        self.write = write
    }

    /// The result of a run, for callers and tests.
    public struct Outcome: Sendable {
        public var steps: [PlanStep]
        /// Where the Twilio numbers will post incoming texts (`SMS_PROVIDER=twilio`).
        public var numberSteps: [TwilioNumberPlan.Step]
        public var applied: Bool
        /// Signing secrets of webhooks created in this run, by configuration variable.
        public var secrets: [String: String]
    }

    public func run() throws -> Outcome {
        let zendesk = try Zendesk(config: context.config, http: context.http)
        let klaviyo =
            context.config.value(ConfigKey.klaviyoAPIKey) != nil
            ? try Klaviyo(config: context.config, http: context.http) : nil
        if let brands = options.brands {
            let known = Set(try zendesk.brandIDs())
            let unknown = brands.filter { !known.contains($0) }
            if !unknown.isEmpty {
                throw SetupError(
                    .usage,
                    "unknown brand id(s) \(unknown.joined(separator: ", ")); this account has \(known.sorted().joined(separator: ", "))"
                )
            }
        }

        var existing: [ExistingObject] = []
        for kind in [ManagedObject.Kind.zendeskWebhook, .zendeskAutomation, .zendeskTrigger, .zendeskView] {
            existing += try zendesk.managedObjects(kind)
        }
        var klaviyoNote: String?
        if let klaviyo, options.sms || options.remove {
            do { existing += try klaviyo.managedWebhooks() } catch let e as ServiceError
                where e.status == 403 || e.status == 404
            {
                klaviyoNote =
                    "Klaviyo webhooks skipped: this account cannot use the Webhooks API (\(e.status)); configure the inbound-SMS webhook by hand or use SMS_PROVIDER=twilio."
            }
        }
        let desired = DesiredObjects.objects(
            for: options, klaviyo: klaviyo != nil && klaviyoNote == nil,
            surveyTag: context.config.value(ConfigKey.surveyTag, default: "pesquisa2listen_disparada"),
            smsTopics: try SMSSettings(config: context.config).klaviyoTopics)
        let steps = SetupPlan.make(desired: desired, existing: existing)
        var numberSteps: [TwilioNumberPlan.Step] = []
        let twilio =
            context.config.value(ConfigKey.smsProvider) == "twilio"
                && context.config.value(ConfigKey.twilioAccountSID) != nil
            ? try Twilio(config: context.config, http: context.http) : nil
        if let twilio, options.sms || options.remove {
            numberSteps = try TwilioNumberPlan.make(
                numbers: try twilio.incomingNumbers(), publicURL: options.publicURL,
                chosen: options.smsNumbers, remove: options.remove)
        }
        report(steps, numbers: numberSteps)
        if let klaviyoNote { write(klaviyoNote) }
        if options.sms && klaviyo == nil {
            write("Note: KLAVIYO_API_KEY is not set; no Klaviyo webhook is planned for inbound SMS.")
        }

        guard options.apply else {
            if steps.contains(where: { $0.action != .unchanged })
                || numberSteps.contains(where: { $0.action == .point || $0.action == .clear })
            {
                write("Dry run: nothing changed. Run again with --apply to make these changes.")
            }
            return Outcome(steps: steps, numberSteps: numberSteps, applied: false, secrets: [:])
        }
        var numbersChanged = 0
        if let twilio {
            for s in numberSteps where s.action == .point || s.action == .clear {
                try twilio.setSMSURL(numberSID: s.number.sid, url: s.action == .point ? s.detail : "")
                numbersChanged += 1
            }
        }
        let secrets = try apply(
            steps, zendesk: zendesk, klaviyo: klaviyo, existing: existing, numbersChanged: numbersChanged)
        return Outcome(steps: steps, numberSteps: numberSteps, applied: true, secrets: secrets)
    }

    /// Prints the plan: every object step, then every Twilio number step, then the brand note.
    func report(_ steps: [PlanStep], numbers: [TwilioNumberPlan.Step]) {
        if steps.isEmpty && numbers.isEmpty {
            write("Nothing to do: no managed objects exist and none are needed."); return
        }
        write(options.remove ? "Plan (remove everything setup created):" : "Plan:")
        for s in steps {
            let detail = s.changes.isEmpty ? "" : "  (" + s.changes.joined(separator: ", ") + ")"
            write("  " + pad(s.action.rawValue, 10) + pad(s.kind.rawValue, 20) + s.name + detail)
        }
        for s in numbers {
            let detail =
                s.action == .clear ? "  (stop posting to the bundle)" : (s.detail.isEmpty ? "" : "  → " + s.detail)
            write("  " + pad(s.action.rawValue, 10) + pad("twilio number", 20) + s.number.phoneNumber + detail)
        }
        if let brands = options.brands {
            write(
                "Brand filter: set ZENDESK_BRANDS=\(brands.joined(separator: ",")) for the bundle (one brand per Klaviyo account is recommended)."
            )
        } else if !options.remove {
            write("Brand filter: all brands (ZENDESK_BRANDS=all).")
        }
    }

    func apply(
        _ steps: [PlanStep], zendesk: Zendesk, klaviyo: Klaviyo?, existing: [ExistingObject], numbersChanged: Int
    ) throws -> [String: String] {
        var webhookIDs: [String: String] = [:]
        for e in existing where e.kind == .zendeskWebhook { webhookIDs[e.name] = e.id }
        var created = 0, updated = 0, deleted = 0
        var newZendeskSecrets = false
        var klaviyoSecret: String?
        for step in steps {
            switch step.action {
            case .unchanged: continue
            case .delete:
                if step.kind == .klaviyoWebhook {
                    try klaviyo?.deleteWebhook(id: step.id!)
                } else {
                    try zendesk.deleteManaged(step.kind, id: step.id!)
                }
                deleted += 1
            case .create, .update:
                let object = step.desired!
                let body = SetupPlan.resolve(object.body, webhookIDs: webhookIDs)
                if object.kind == .klaviyoWebhook {
                    guard let klaviyo else { continue }
                    if let id = step.id { try klaviyo.deleteWebhook(id: id) }  // Klaviyo secrets cannot be read back: replace
                    let secret = try Crypto.hex(Crypto.randomBytes(24))
                    _ = try klaviyo.createWebhook(object, secret: secret)
                    klaviyoSecret = secret
                } else if step.action == .create {
                    let id = try zendesk.createManaged(object, body: body)
                    if object.kind == .zendeskWebhook { webhookIDs[object.name] = id; newZendeskSecrets = true }
                } else {
                    try zendesk.updateManaged(object.kind, id: step.id!, body: body)
                }
                if step.action == .create { created += 1 } else { updated += 1 }
            }
        }
        write(
            "Applied: \(created) created, \(updated) updated, \(deleted) deleted, \(numbersChanged) Twilio number(s) re-pointed."
        )

        var secrets: [String: String] = [:]
        // Each webhook's secret is bound to the route it posts to (`/route=secret`): a signature
        // made for one webhook is not accepted on another route.
        let activeWebhooks = steps.filter { $0.kind == .zendeskWebhook && $0.action != .delete }.compactMap {
            step -> (id: String, route: String)? in
            guard let id = webhookIDs[step.name], let endpoint = step.desired?.body["endpoint"].string else {
                return nil
            }
            return (id, String(endpoint.dropFirst(options.publicURL?.count ?? 0)))
        }
        if newZendeskSecrets || (options.secretsDirectory != nil && !activeWebhooks.isEmpty) {
            secrets[ConfigKey.zendeskWebhookSecret] = try activeWebhooks.map {
                "\($0.route)=" + (try zendesk.webhookSigningSecret(id: $0.id))
            }
            .joined(separator: ",")
        }
        if let klaviyoSecret { secrets[ConfigKey.klaviyoWebhookSecret] = klaviyoSecret }
        if !secrets.isEmpty { try deliver(secrets) }
        return secrets
    }

    /// Prints the secrets once, or writes each to its own file in the secrets directory (mode
    /// 0600), the form OpenFaaS and Docker secrets take: point `NAME_FILE` at it.
    func deliver(_ secrets: [String: String]) throws {
        if let dir = options.secretsDirectory {
            mkdir(dir, 0o700)
            for (name, value) in secrets.sorted(by: { $0.key < $1.key }) {
                let path = dir + "/" + name
                let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                guard fd >= 0 else {
                    throw SetupError(.refused, "cannot write \(path): \(String(cString: strerror(errno)))")
                }
                let bytes = Array((value + "\n").utf8)
                _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                close(fd)
                write("Wrote \(path) (mode 0600): set \(name)_FILE=\(path) for the bundle.")
            }
        } else {
            write(
                "Store these secrets where the functions read them (shown once; one secret per webhook, comma-separated):"
            )
            for name in secrets.keys.sorted() { write("  \(name)=\(secrets[name]!)") }
        }
    }

    func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
