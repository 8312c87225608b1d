import FunctionRuntime
import Synchronization

/// A counter of requests in flight with a ceiling; never waits (a full limit means 429 now,
/// because a webhook sender retries later while a queued request would eat its time budget).
public final class ConcurrencyLimit: Sendable {
    public let limit: Int
    private let current = Mutex(0)

    public init(limit: Int) { self.limit = limit }

    /// Takes a slot; false when all `limit` slots are taken.
    public func tryAcquire() -> Bool {
        current.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    public func release() { current.withLock { $0 -= 1 } }
}
