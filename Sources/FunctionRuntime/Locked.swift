/// A value shared between threads; every read, write and update happens under one lock.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = Lock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    /// The current value (a copy); setting replaces it.
    public var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Reads or changes the value in place while holding the lock.
    public func withValue<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try lock.withLock { try body(&stored) }
    }
}

extension Locked where Value == [String] {
    /// Appends a line (for logs collected from several threads).
    public func append(_ line: String) { withValue { $0.append(line) } }
}
