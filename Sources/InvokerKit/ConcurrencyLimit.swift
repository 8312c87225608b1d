import FunctionRuntime

/// A counter of requests in flight with a ceiling; never waits (a full limit means 429 now,
/// because a webhook sender retries later while a queued request would eat its time budget).
public final class ConcurrencyLimit: @unchecked Sendable {
    public let limit: Int
    private var current = 0
    private let lock = Lock()

    public init(limit: Int) { self.limit = limit }

    /// Takes a slot; false when all `limit` slots are taken.
    public func tryAcquire() -> Bool {
        lock.withLock {
            guard current < limit else { return false }
            current += 1
            return true
        }
    }

    public func release() { lock.withLock { current -= 1 } }
}
