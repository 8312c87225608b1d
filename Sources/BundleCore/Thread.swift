#if canImport(Glibc)
import Glibc
#endif

/// Threads without Foundation's `Thread` (FoundationEssentials has none): detached ones, and
/// ones whose result is waited for.
public enum Thread {
    private final class Box {
        let body: () -> Void
        init(_ b: @escaping () -> Void) { body = b }
    }

    /// Runs `body` on a new detached thread; false (and `body` never runs) when no thread could
    /// be had.
    @discardableResult
    public static func detach(_ body: @escaping () -> Void) -> Bool {
        start(body, joinable: false) != nil
    }

    /// Runs `body` on a new thread and returns at once; `Joined.wait()` gives its value. When no
    /// thread can be had, `body` runs here before `spawn` returns (so it runs either way).
    public static func spawn<Value>(_ body: @escaping @Sendable () -> Value) -> Joined<Value> {
        let joined = Joined<Value>()
        joined.thread = start({ joined.value = body() }, joinable: true)
        if joined.thread == nil { joined.value = body() }
        return joined
    }

    /// The value of a `spawn`ed body, once its thread has ended.
    public final class Joined<Value>: @unchecked Sendable {
        fileprivate var thread: pthread_t?
        fileprivate var value: Value?

        fileprivate init() {}

        /// Waits for the thread to end (once; later calls return at once) and gives its value.
        public func wait() -> Value {
            if let t = thread {
                pthread_join(t, nil)
                thread = nil
            }
            return value!
        }
    }

    private static func start(_ body: @escaping () -> Void, joinable: Bool) -> pthread_t? {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setdetachstate(
            &attr, Int32(joinable ? PTHREAD_CREATE_JOINABLE : PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attr, 1 << 20)
        let rc = pthread_create(
            &thread, &attr,
            { arg in
                let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
                b.body()
                return nil
            }, box)
        pthread_attr_destroy(&attr)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            return nil
        }
        return thread
    }
}
