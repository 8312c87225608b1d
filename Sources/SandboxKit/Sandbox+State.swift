import FoundationEssentials
import FunctionRuntime
import HTTPServer
#if canImport(Glibc)
import Glibc
#endif

/// Seeding, inspection, reset, configuration, clock and persistence.
extension Sandbox {
    /// Adds records: `{"zendesk":{…},"klaviyo":{"profiles","conversations"},"twilio":{"numbers",
    /// "opted_out"},"config":{…}}`. Strings `now`, `now-3h`, `now+10m`, `now-2d`, `now-90s`
    /// become ISO-8601 times of the sandbox clock.
    public func seed(_ document: JSON) throws {
        try lock.withLock {
            guard let o = document.object else { throw RuntimeError(.usage, "seed must be a JSON object") }
            let names = emulators.map(\.name)
            for key in o.keys where key != "config" && !names.contains(key) {
                throw RuntimeError(.usage, "unknown seed section \(key)")
            }
            let resolved = resolveTimes(document)
            if !resolved["config"].isNull { try applyConfig(resolved["config"]) }
            for emulator in emulators where !resolved[emulator.name].isNull {
                try emulator.seed(resolved[emulator.name], context: context)
            }
            persist()
        }
    }

    func resolveTimes(_ value: JSON) -> JSON {
        switch value {
        case .string(let s): return .string(context.resolveTime(s))
        case .array(let a): return .array(a.map(resolveTimes))
        case .object(let o): return .object(o.mapValues(resolveTimes))
        default: return value
        }
    }

    /// `{zendesk, klaviyo, twilio, survey, requests, deliveries, clock}`.
    public func state() -> JSON { lock.withLock { stateDocument() } }

    func stateDocument() -> JSON {
        var o: [String: JSON] = [:]
        for e in emulators { o[e.name] = e.snapshot() }
        o["requests"] = .array(loggedRequests)
        o["deliveries"] = .array(deliveries)
        o["clock"] = clockDocument()
        return .object(o)
    }

    func clockDocument() -> JSON { ["offset_seconds": .double(context.offset), "now": .string(context.nowISO)] }

    /// The service requests recorded so far.
    public func requestLog() -> [JSON] { lock.withLock { loggedRequests } }

    /// Clears all state, configuration, the request log, faults, deliveries and the clock offset.
    public func reset() {
        lock.withLock {
            for e in emulators { e.reset() }
            requests = []
            statusCounts = [:]
            nextSeq = 1
            faults = []
            deliveries = []
            config = Self.defaultConfig
            context.offset = 0
            persist()
        }
    }

    /// Applies configuration (`{"zendesk":{email,token,account_id,rate_limit},"klaviyo":{api_key,
    /// rate_limit},"twilio":{account_sid,auth_token,rate_limit},"survey":{email,token,
    /// required_fields,rate_limit}}`) over what is in effect.
    public func configure(_ document: JSON) throws {
        try lock.withLock {
            try applyConfig(document); persist()
        }
    }

    /// The configuration in effect.
    public func configuration() -> JSON { lock.withLock { config } }

    func applyConfig(_ document: JSON) throws {
        guard let o = document.object else { throw RuntimeError(.usage, "config must be an object") }
        for (name, section) in o {
            guard let emulator = emulators.first(where: { $0.name == name }) else {
                throw RuntimeError(.usage, "unknown config section \(name)")
            }
            try emulator.configure(section)
            config[name] = config[name].merging(section)
        }
    }

    /// Moves the sandbox clock forward (or back) by `seconds`.
    public func advanceClock(seconds: Double) {
        lock.withLock {
            context.offset += seconds; persist()
        }
    }

    // MARK: Persistence

    /// Loads the state file named by `options.statePath` when it exists (once).
    public func loadState() throws {
        guard let path = options.statePath else { return }
        try lock.withLock {
            guard !loaded else { return }
            loaded = true
            guard let bytes = try? FileBytes.read(path).get() else { return }
            let doc: JSON
            do { doc = try JSON.parse(bytes) } catch {
                throw RuntimeError(.usage, "state file \(path) is not JSON: \(error)")
            }
            for e in emulators where !doc.at("services.\(e.name)").isNull {
                try e.restore(doc.at("services.\(e.name)"))
            }
            config = Self.defaultConfig
            let saved = doc["config"]
            for e in emulators where saved[e.name].object != nil {
                try e.configure(saved[e.name])
                config[e.name] = config[e.name].merging(saved[e.name])
            }
            requests = doc["requests"].array ?? []
            nextSeq = Int(doc["next_seq"].int ?? Int64(requests.count + 1))
            deliveries = doc["deliveries"].array ?? []
            faults = try (doc["faults"].array ?? []).map(FaultRule.init)
            context.offset = doc["clock_offset"].double ?? 0
        }
    }

    /// Saves the whole state to `options.statePath` (temp file + rename). Call with the lock held.
    func persist() {
        guard let path = options.statePath else { return }
        var services: [String: JSON] = [:]
        for e in emulators { services[e.name] = e.snapshot() }
        let doc: JSON = [
            "version": 1, "services": .object(services), "config": config, "requests": .array(requests),
            "next_seq": .int(Int64(nextSeq)), "deliveries": .array(deliveries),
            "faults": .array(faults.filter { $0.remaining != 0 }.map(\.persisted)),
            "clock_offset": .double(context.offset),
        ]
        if case .failure(let why) = FileBytes.writeAtomically(path, doc.serializedBytes()) {
            emit("could not save the state to \(path): \(why.text)", redactor: redactor)
        }
    }
}

extension FaultRule {
    /// The rule as it is saved and reloaded (`times` = firings left, 0 = always).
    var persisted: JSON {
        var o: JSON = [
            "mode": .string(mode.rawValue), "times": .int(Int64(remaining ?? 0)), "status": .int(Int64(status)),
            "retry_after": .int(Int64(retryAfter)), "ms": .int(Int64(ms)), "probability": .double(probability),
        ]
        if let service { o["service"] = .string(service) }
        if let method { o["method"] = .string(method) }
        if let pathRegex { o["path_regex"] = .string(pathRegex) }
        return o
    }
}

extension Sandbox {
    /// `GET /_ctl/counts`: what a benchmark over a large account reads instead of the state.
    func counts() -> JSON {
        var metrics: [String: JSON] = [:]
        var backfilled: [String: JSON] = [:]
        for e in klaviyo.events {
            let m = e["metric"].string ?? ""
            metrics[m] = .int((metrics[m]?.int ?? 0) + 1)
            if e["backfill"].bool == true { backfilled[m] = .int((backfilled[m]?.int ?? 0) + 1) }
        }
        var answers: [String: JSON] = [:]
        for (k, v) in statusCounts { answers[k] = .int(Int64(v)) }
        return [
            "zendesk": ["tickets": .int(Int64(zendesk.tickets.count)), "users": .int(Int64(zendesk.users.count))],
            "klaviyo": [
                "profiles": .int(Int64(klaviyo.profiles.count)), "events": .int(Int64(klaviyo.events.count)),
                "events_by_metric": .object(metrics), "backfilled_by_metric": .object(backfilled),
                "bulk_refusals": .int(Int64(klaviyo.bulkRefusals)),
            ],
            "answers": .object(answers),
        ]
    }
}
