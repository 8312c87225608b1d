import FunctionRuntime

/// The requests a route (or a function, across routes) handles at once, and the line beyond:
/// up to `queue` more wait, first come first served, for at most their wait time; one more, or
/// one whose wait runs out, is answered 503 with `Retry-After` (issue: queue, do not shed — a 429
/// at once made Twilio, which does not retry, lose texts, and made Zendesk retry in bursts).
public final class ConcurrencyLimit: Sendable {
    public let limit: Int
    public let queue: Int
    private let gate: RunGate

    public init(limit: Int, queue: Int = 0) {
        self.limit = limit
        self.queue = queue
        gate = RunGate(width: limit, queueLimit: queue)
    }

    /// Takes a slot, waiting up to `waitMS` in line.
    public func acquire(waitMS: Int) -> RunGate.Admission { gate.admit(timeoutMS: waitMS) }

    /// Takes a free slot without waiting; false when all `limit` slots are taken (or others wait).
    public func tryAcquire() -> Bool { gate.tryEnter() }

    public func release() { gate.leave() }

    /// Requests holding a slot and waiting for one, now.
    public var load: (running: Int, waiting: Int) { gate.load }
}
