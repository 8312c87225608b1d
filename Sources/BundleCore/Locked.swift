#if canImport(Glibc)
import Glibc
#endif

/// A value reached only under a lock, in the shape of `Synchronization.Mutex` (`withLock` with
/// the value `inout`), on a plain `pthread_mutex_t` (see `Lock` for why not `Mutex`).
public final class PlainMutex<Value>: @unchecked Sendable {
    private let lock = Lock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` on the value while holding the lock.
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try lock.withLock { try body(&value) }
    }
}

/// A value shared between threads; every read, write and update happens under one lock, so the
/// compiler checks that nothing reaches the value without it.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: PlainMutex<Value>

    public init(_ value: Value) { mutex = PlainMutex(value) }

    /// The current value (a copy); setting replaces it.
    public var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }

    /// Reads or changes the value in place while holding the lock.
    public func withValue<T: Sendable>(_ body: (inout Value) throws -> T) rethrows -> T {
        try mutex.withLock { value throws -> T in try body(&value) }
    }
}

extension Locked where Value == [String] {
    /// Appends a line (for logs collected from several threads).
    public func append(_ line: String) { withValue { $0.append(line) } }
}

/// Mutual exclusion for a critical section that guards no single value (e.g. an external
/// resource such as a file descriptor set, or the sandbox's emulator state), on a plain
/// `pthread_mutex_t`.
///
/// Not `Synchronization.Mutex`: on Linux that one is a priority-inheritance futex that spins
/// before it sleeps, and under contention (the sandbox's one lock, a dozen connection threads on
/// two cores) the spinning and the kernel's PI bookkeeping cost more CPU than the critical
/// sections themselves. A default glibc mutex sleeps on an ordinary futex at once.
public final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` while holding the lock.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
