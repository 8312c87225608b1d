import BundleCore
import FoundationEssentials
import FunctionRuntime

/// Keeps requests to one quota (`perMinute`) evenly spaced, so a long run uses the quota without
/// ever being told off: request k starts no earlier than `60 / perMinute / margin` seconds after
/// request k-1 started. A 429's `Retry-After`, or `X-Rate-Limit-Remaining: 0`, holds every
/// request until the service said it may go on.
public final class QuotaPacer: Sendable {
    public let name: String
    public let perMinute: Int
    /// Below 1: the share of the quota aimed at, leaving room for the clock skew between client and service.
    public let margin: Double
    private struct State {
        var next = 0.0
        var holdUntil = 0.0
        var requests = 0
        var throttled = 0
        var waited = 0.0
        var firstStart: Double?
        var lastStart = 0.0
    }
    private let state = PlainMutex(State())
    private let sleeper: @Sendable (Double) -> Void
    private let clock: @Sendable () -> Double

    public init(
        name: String, perMinute: Int, margin: Double = 0.98,
        clock: @escaping @Sendable () -> Double = { Clock.monotonicMS() / 1000 },
        sleeper: @escaping @Sendable (Double) -> Void = Clock.sleep
    ) {
        self.name = name
        self.perMinute = max(1, perMinute)
        self.margin = margin
        self.clock = clock
        self.sleeper = sleeper
    }

    /// Seconds between two requests.
    public var interval: Double { 60 / Double(perMinute) / margin }

    /// Waits for this request's turn; returns the seconds waited.
    @discardableResult
    public func take() -> Double {
        let now = clock()
        let start = state.withLock { s -> Double in
            let at = max(now, s.next, s.holdUntil)
            s.next = at + interval
            s.requests += 1
            if s.firstStart == nil { s.firstStart = at }
            s.lastStart = at
            s.waited += at - now
            return at
        }
        if start > now { sleeper(start - now) }
        return start - now
    }

    /// Reads an answer's quota headers: a 429 holds for its `Retry-After` (60 s without one);
    /// `X-Rate-Limit-Remaining: 0` holds until a whole interval has passed. Returns true for a 429.
    @discardableResult
    public func observe(_ response: HTTPResponse) -> Bool {
        let now = clock()
        if response.status == 429 {
            let wait = response.retryAfter ?? 60
            state.withLock {
                $0.throttled += 1
                $0.holdUntil = max($0.holdUntil, now + wait)
            }
            return true
        }
        if let remaining = response.headers["x-rate-limit-remaining"].flatMap({ Int($0.trimmed()) }), remaining <= 0 {
            state.withLock { $0.holdUntil = max($0.holdUntil, now + interval) }
        }
        return false
    }

    /// Requests taken, 429s seen, seconds spent waiting, and the share of the quota the requests
    /// used between the first and the last (1.0 = exactly `perMinute` a minute).
    public var usage: (requests: Int, throttled: Int, waited: Double, share: Double) {
        state.withLock { s in
            let span = s.lastStart - (s.firstStart ?? s.lastStart)
            let share = s.requests > 1 && span > 0 ? Double(s.requests - 1) / span * 60 / Double(perMinute) : 0
            return (s.requests, s.throttled, s.waited, share)
        }
    }
}
