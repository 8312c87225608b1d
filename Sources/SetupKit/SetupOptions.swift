/// What `./invoke setup` and `./invoke check` were asked to do.
public struct SetupOptions: Equatable, Sendable {
    public enum Mode: String, Sendable { case setup, check }

    public var mode: Mode
    /// The externally visible base URL of the bundle (`https://their.host`), no trailing slash.
    public var publicURL: String?
    /// `nil` = all brands; otherwise the brand ids to sync.
    public var brands: [String]?
    public var sms = false
    public var survey = false
    /// Trigger-driven webhooks (`conditional_ticket_events` + triggers) instead of event
    /// subscriptions, for accounts that do not offer event subscriptions.
    public var triggers = false
    /// Make the changes (setup is a dry run by default).
    public var apply = false
    /// Take away everything setup created.
    public var remove = false
    /// Twilio numbers to point at the bundle (`--sms-numbers`); nil = the ones free or already ours.
    public var smsNumbers: [String]?
    /// Write each signing secret to a file in this directory (mode 0600) instead of printing it.
    public var secretsDirectory: String?

    public init(mode: Mode) { self.mode = mode }

    public static let usage = """
        Usage:
          bundle-setup setup --public-url https://your.host [--brands all|ID,ID] [--sms] [--sms-numbers +1…,+1…] [--survey] [--triggers] [--apply] [--remove] [--secrets-dir DIR]
          bundle-setup check [--public-url https://your.host] [--sms] [--survey] [--triggers]

        setup prints the plan of changes and applies it only with --apply; running it again changes nothing.
        --triggers uses trigger-driven webhooks and triggers instead of event subscriptions (accounts without them).
        --remove plans (and with --apply, performs) the removal of everything setup created.
        Credentials come from the environment: ZENDESK_URL, ZENDESK_EMAIL + ZENDESK_API_TOKEN (or ZENDESK_OAUTH_TOKEN),
        KLAVIYO_API_KEY (optional: Klaviyo webhook for inbound SMS), PUBLIC_URL (or --public-url); with SMS_PROVIDER=twilio,
        TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: the account's numbers are pointed at /sms/inbound (--sms-numbers chooses them).
        """

    /// Parses the arguments after the program name. `publicURL` falls back to `defaultPublicURL`.
    public static func parse(_ arguments: [String], defaultPublicURL: String? = nil) throws -> SetupOptions {
        guard let first = arguments.first, let mode = Mode(rawValue: first) else {
            throw SetupError(.usage, "first argument must be setup or check\n\n" + usage)
        }
        var o = SetupOptions(mode: mode)
        var i = 1
        func value(_ flag: String) throws -> String {
            i += 1
            guard i < arguments.count, !arguments[i].hasPrefix("--") else {
                throw SetupError(.usage, "\(flag) needs a value")
            }
            return arguments[i]
        }
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "--public-url": o.publicURL = try value(a)
            case "--brands":
                let v = try value(a)
                if v == "all" {
                    o.brands = nil
                } else {
                    let ids = v.split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty }
                    guard !ids.isEmpty, ids.allSatisfy({ Int64($0) != nil }) else {
                        throw SetupError(.usage, "--brands takes all or comma-separated brand ids, got \(v)")
                    }
                    o.brands = ids
                }
            case "--sms": o.sms = true
            case "--sms-numbers" where mode == .setup:
                let v = try value(a)
                let numbers = v.split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty }
                guard !numbers.isEmpty,
                    numbers.allSatisfy({ $0.hasPrefix("+") && $0.count >= 8 && $0.dropFirst().allSatisfy(\.isNumber) })
                else {
                    throw SetupError(
                        .usage, "--sms-numbers takes comma-separated E.164 numbers (+15551230000), got \(v)")
                }
                o.smsNumbers = numbers
                o.sms = true
            case "--survey": o.survey = true
            case "--triggers": o.triggers = true
            case "--apply" where mode == .setup: o.apply = true
            case "--remove" where mode == .setup: o.remove = true
            case "--secrets-dir" where mode == .setup: o.secretsDirectory = try value(a)
            case "--help", "-h": throw SetupError(.help, usage)
            default: throw SetupError(.usage, "unknown argument \(a)\n\n" + usage)
            }
            i += 1
        }
        if o.publicURL == nil { o.publicURL = defaultPublicURL }
        if var url = o.publicURL {
            while url.hasSuffix("/") { url.removeLast() }
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw SetupError(.usage, "--public-url must be an http(s) URL, got \(url)")
            }
            o.publicURL = url
        }
        if mode == .setup && !o.remove && o.publicURL == nil {
            throw SetupError(
                .missingSetting, "setup needs --public-url (or PUBLIC_URL): the address Zendesk and Klaviyo will call")
        }
        return o
    }
}
