import Synchronization

/// A value shared between threads; every read, write and update happens under one
/// `Synchronization.Mutex`, so the compiler checks that nothing reaches the value without it.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

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
/// resource such as a file descriptor set), on a `Synchronization.Mutex`.
public final class Lock: Sendable {
    private let mutex = Mutex(())

    public init() {}

    /// Runs `body` while holding the lock.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try mutex.withLock { _ in try body() }
    }
}
