import BundleCore
import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The invoker's state directory: the spool (`<dir>/spool/`) and the attention list
/// (`<dir>/attention.jsonl`, where functions append what needs a person).
public struct InvokerState: Sendable {
    public let directory: String
    public let spool: Spool
    public var attentionLog: String { directory + "/attention.jsonl" }

    /// Opens (creating) the state in `directory`; throws when it cannot be used or another
    /// invoker holds its spool.
    public init(directory: String) throws {
        self.directory = directory
        spool = try Spool(directory: directory + "/spool")
    }
}

/// What becomes of a spooled request after one run.
public enum SpoolVerdict: Sendable, Equatable {
    /// Done: never run again.
    case done
    /// Worth another attempt later (the function or a service was unavailable).
    case retry
    /// Refused for good (bad input, bad signature, configuration): a dead letter for a person.
    case dead(String)
}

/// The spool's rules as pure functions.
public enum SpoolRules {
    /// 2xx → done; exit 75, 429, 502, 503, 504, a timeout or a crash → retry; exit 70 (a bug or an
    /// unexpected answer) → retry up to 3 attempts; anything else (400, 401, 413, exit 65, 77, 78)
    /// → dead.
    public static func verdict(status: Int, exit: Int32?, attempts: Int) -> SpoolVerdict {
        if (200..<300).contains(status) { return .done }
        if exit == 75 || [429, 502, 503, 504].contains(status) { return .retry }
        if exit == nil && status == 500 { return .retry }  // crashed or could not start
        if exit == 70 { return attempts < 3 ? .retry : .dead("internal error after \(attempts) attempts") }
        return .dead("refused with HTTP \(status)" + (exit.map { ", exit \($0)" } ?? ""))
    }

    /// Seconds before attempt `attempts + 1`: 1, 2, 4, … up to 5 minutes, with ±25 % jitter.
    public static func backoff(attempts: Int) -> Double {
        let base = min(300.0, Double(1 << min(20, max(0, attempts - 1))))
        return base * Double.random(in: 0.75...1.25)
    }
}

extension Invoker {
    /// A request on a spooled route: journaled first (on disk, `fsync`ed), answered 200
    /// `{"outcome":"spooled","spool_id"}` at once, and run right away in the background (or by
    /// the worker once a slot is free), then retried until done or a dead letter. When the spool
    /// cannot record it, the request is answered directly instead (never dropped).
    func respondSpooled(
        _ route: Route, spool: Spool, limits: RouteLimits, request: ServerRequest, trace: inout RequestTrace
    ) -> ServerResponse {
        if let refused = intakeRefusal(request, limits: limits) {
            trace.note = "signature refused at intake; not spooled"
            return refused
        }
        let item: Spool.Item
        do { item = try spool.add(request, holdingFor: Double(limits.timeoutMS) / 1000 + 30) } catch {
            trace.note = "spool unavailable (\(error)); answered directly"
            return runDirect(route, limits: limits, request: request, trace: &trace) { _ in
                Outcome.error(
                    503, "spool_unavailable", "the spool cannot record the request", headers: [("Retry-After", "5")])
            }
        }
        spoolRunning.withValue { $0 += 1 }
        Thread.detach { [self] in
            defer { spoolRunning.withValue { $0 -= 1 } }
            runSpooled(item)
        }
        trace.note = "spooled \(item.id)"
        return acknowledged(item, request: request)
    }

    /// A signed request whose signature does not verify, refused before it is journaled: 401, as
    /// the function would answer, so the sender (and its webhook log) sees the refusal at once and
    /// a forged or stale request never becomes a dead letter. Judged with the function's own
    /// check (`SignatureCheck`) for the signatures the request carries whose secret the first
    /// stage's environment holds; anything else (no signature, no secret, a setting missing such
    /// as `PUBLIC_URL`) is left to the function, as before.
    func intakeRefusal(_ request: ServerRequest, limits: RouteLimits) -> ServerResponse? {
        let config = Config(environment: baseEnvironment.merging(limits.stageEnv.first ?? [:]) { $1 })
        let present = SignatureScheme.allCases.filter {
            request.header($0.signatureHeader) != nil && config.value($0.secretVariable) != nil
        }
        guard !present.isEmpty else { return nil }
        var headers: [String: String] = [:]
        for (name, value) in request.headerList {
            let key = name.lowercased()
            headers[key] = headers[key].map { $0 + ", " + value } ?? value
        }
        let incoming = IncomingRequest(
            method: request.method, path: request.path, query: request.query, headers: headers,
            contentType: request.header("content-type") ?? "")
        do {
            try SignatureCheck.verify(present, request: incoming, body: request.body, config: config, log: nil)
            return nil
        } catch let e as RuntimeError where e.code == .badSignature {
            return Outcome.error(401, "bad_signature", e.message)
        } catch {
            return nil
        }
    }

    /// The acknowledgement of a spooled request: `200 {"outcome":"spooled","spool_id"}`; to a
    /// Twilio webhook (it carries `X-Twilio-Signature`) an empty TwiML document instead, which is
    /// the only 2xx answer Twilio reads without recording error 12300 (`HTTPAnswerBody.emptyTwiML`),
    /// unless the request's `Accept` names `application/json`. Both carry `X-Spool-Id`.
    func acknowledged(_ item: Spool.Item, request: ServerRequest) -> ServerResponse {
        if request.header("x-twilio-signature") != nil && !HTTPAnswerBody.asksForJSON(request.header("accept")) {
            let twiml = HTTPAnswerBody.emptyTwiML
            return ServerResponse(
                status: 200,
                headers: [
                    ("Content-Type", twiml.contentType), ("X-Spool-Id", item.id), ("X-Function-Outcome", "spooled"),
                ], body: twiml.bytes)
        }
        return .json(200, ["outcome": "spooled", "spool_id": .string(item.id)], headers: [("X-Spool-Id", item.id)])
    }

    /// Records what one run of `item` means: done, a later attempt, or a dead letter (listed
    /// for a person in the attention file).
    @discardableResult
    func settle(_ item: Spool.Item, response: ServerResponse, exit: Int32?, attempts: Int) -> SpoolVerdict {
        guard let spool else { return .done }
        var verdict = SpoolRules.verdict(status: response.status, exit: exit, attempts: attempts)
        let now = Clock.now().timeIntervalSince1970
        if verdict == .retry, now - item.receivedAt > Double(file.server.spoolMaxAgeS) {
            verdict = .dead(
                "still failing after \(Int(now - item.receivedAt)) s (server.spool_max_age_s \(file.server.spoolMaxAgeS))"
            )
        }
        let answer = String(decoding: response.body.prefix(4096), as: UTF8.self)
        switch verdict {
        case .done:
            spool.finish(item.id, status: response.status, exit: exit)
        case .retry:
            spool.reschedule(
                item.id, attempts: attempts, nextAt: now + SpoolRules.backoff(attempts: attempts),
                status: response.status, exit: exit)
        case .dead(let reason):
            // Listed first, then buried: a stop in between leaves the item pending, so it is run
            // (and listed) again, never buried unlisted.
            if let attentionLog {
                JSONLines.append(
                    [
                        [
                            "ts": .string(Clock.iso8601(Clock.now())), "function": "invoker", "kind": "dead_letter",
                            "detail": .string(
                                "\(item.request.method) \(item.request.path) spooled \(item.id): \(reason)"),
                            "action": .string(
                                "read the answer with ./invoke spool; fix the cause, then ./invoke spool --retry \(item.id)"
                            ),
                        ]
                    ],
                    to: attentionLog)
            }
            spool.bury(item.id, reason: reason, answer: answer, status: response.status, exit: exit)
            accessLog.warn("spooled request \(item.id) is a dead letter: \(reason)")
        }
        return verdict
    }

    /// Runs due spooled requests in the background (at most 8 at a time), for as long as the
    /// process lives; requests left when it stops are replayed by the next start.
    func startSpoolWorker() {
        guard let spool else { return }
        // A request handed out is held while it runs: longer than any route may take, so it is
        // never handed out twice.
        let lease = Double(file.routes.map { file.limits(for: $0).timeoutMS }.max() ?? 60_000) / 1000 + 30
        Thread.detach { [self] in
            var ticks = 0
            while !spoolStopped.value {
                Clock.sleep(0.1)
                ticks += 1
                if ticks % 10 == 0 { spool.refresh() }
                let room = 8 - spoolRunning.value
                guard room > 0 else { continue }
                for item in spool.takeDue(now: Clock.now().timeIntervalSince1970, limit: room, leaseSeconds: lease) {
                    spoolRunning.withValue { $0 += 1 }
                    Thread.detach { [self] in
                        defer { spoolRunning.withValue { $0 -= 1 } }
                        runSpooled(item)
                    }
                }
            }
        }
    }

    /// Stops the spool worker and releases the spool (its journal stays for the next start).
    /// Attempts already running finish first.
    public func stopSpool() {
        spoolStopped.value = true
        _ = eventually(timeout: 30) { spoolRunning.value == 0 }
        spool?.close()
    }

    func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
        let until = Clock.monotonicMS() + timeout * 1000
        while !condition() {
            if Clock.monotonicMS() > until { return false }
            Clock.sleep(0.02)
        }
        return true
    }

    /// One background attempt of a spooled request.
    func runSpooled(_ item: Spool.Item) {
        guard let spool else { return }
        let request = item.request
        guard let route = file.route(method: request.method, path: request.path),
            let limits = routeLimitsFor(route)
        else {
            settle(
                item, response: Outcome.error(404, "not_found", "no route for \(request.path) any more"), exit: nil,
                attempts: item.attempts + 1)
            return
        }
        var trace = RequestTrace(), busy = ""
        guard let held = acquire(route, waitMS: 0, note: &trace.note, message: &busy) else {
            spool.hold(item.id, seconds: 0.2)  // no free slot: soon again, not counted as an attempt
            return
        }
        defer { for s in held { s.release() } }
        let started = Clock.monotonicMS()
        let response = runStages(
            route, limits: limits, request: request, trace: &trace,
            extraEnvironment: [ConfigKey.invokerReceivedAt: String(item.receivedAt)])
        let exit = trace.exit
        let verdict = settle(item, response: response, exit: exit, attempts: item.attempts + 1)
        let routeKey = Self.key(route.method, route.path)
        metrics.request(route: routeKey, status: response.status, seconds: (Clock.monotonicMS() - started) / 1000)
        console.record(
            route: routeKey + " (spooled)", function: route.target, status: response.status, exit: exit,
            body: response.body, milliseconds: Clock.monotonicMS() - started, note: "spooled \(item.id): \(verdict)",
            upstream: trace.upstream, outcomeHeader: response.header("x-function-outcome"))
        accessLog.record(
            method: request.method, target: request.target, status: response.status,
            milliseconds: Clock.monotonicMS() - started, function: route.target, exit: exit,
            note: "spooled \(item.id) attempt \(item.attempts + 1): \(verdict)" + (trace.note.map { "; \($0)" } ?? ""))
    }
}
