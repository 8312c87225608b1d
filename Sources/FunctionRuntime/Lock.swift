#if canImport(Glibc)
import Glibc
#endif

/// A plain mutual-exclusion lock (pthread mutex).
///
/// The mutex lives in memory of its own, never in a Swift stored property: passing a property
/// `&mutex` to `pthread_mutex_lock` is an exclusive (inout) access that lasts while the call
/// blocks, so a second thread taking the lock meanwhile is an exclusivity violation that the
/// runtime stops the process for.
public final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` while holding the lock.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
