import BundleCore
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// How many function processes run at once, and in which order the rest start: first come,
/// first served.
///
/// With one thread per connection, every request in flight would otherwise spawn its process at
/// once and the kernel would share the cores among all of them: the median stays good but the
/// unlucky ones wait for everybody (at c=64 on 2 cores, a p99 twice lighttpd's). Behind the gate
/// at most `width` processes run; the others wait in arrival order and each starts as soon as one
/// ends, so a request waits for the ones before it, never behind ones that came later. Width 0
/// lets every process start at once.
public final class RunGate: Sendable {
    /// How a request fared at the gate.
    public enum Admission: Sendable, Equatable {
        /// It holds a turn (and must `leave()`).
        case entered
        /// `queueLimit` requests were waiting already: it was refused at once.
        case queueFull
        /// Its time ran out while it waited.
        case timedOut
    }

    private struct State {
        var free: Int
        /// Waiters still waiting (entries of `waiters` from `head` that are not 0).
        var waiting = 0
        /// Waiters in arrival order, each asleep on its own semaphore (no thundering herd), kept
        /// as the semaphore's address; a waiter that gave up leaves 0 behind.
        var waiters: [UInt] = []
        var head = 0
    }

    public let width: Int
    /// How many may wait at once; one more is refused (`queueFull`).
    public let queueLimit: Int
    private let state: PlainMutex<State>

    public init(width: Int, queueLimit: Int = .max) {
        self.width = width
        self.queueLimit = queueLimit
        state = PlainMutex(State(free: width))
    }

    /// Waits up to `timeoutMS` for a turn, in arrival order. True: the caller holds a turn and
    /// must `leave()`; false: nothing is held.
    public func enter(timeoutMS: Int) -> Bool { admit(timeoutMS: timeoutMS) == .entered }

    /// Takes a free turn without waiting (nobody may be waiting either: no overtaking).
    public func tryEnter() -> Bool {
        guard width > 0 else { return true }
        return state.withLock { s in
            guard s.free > 0 && s.waiting == 0 else { return false }
            s.free -= 1
            return true
        }
    }

    /// Waits up to `timeoutMS` for a turn, in arrival order, unless `queueLimit` others are
    /// waiting already.
    public func admit(timeoutMS: Int) -> Admission {
        guard width > 0 else { return .entered }
        // A free turn, or a full line, is decided without allocating anything.
        func decided(_ s: inout State) -> Admission? {
            if s.free > 0 && s.waiting == 0 {
                s.free -= 1
                return .entered
            }
            if s.waiting >= queueLimit || timeoutMS <= 0 { return .queueFull }
            return nil
        }
        if let now = state.withLock({ decided(&$0) }) { return now }
        let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
        let key = UInt(bitPattern: semaphore)
        // Decided again: a turn may have come free meanwhile.
        let queued: Admission? = state.withLock { s in
            if let now = decided(&s) { return now }
            s.waiters.append(key)
            s.waiting += 1
            return nil
        }
        let ticket = semaphore
        if let queued {
            sem_destroy(ticket)
            ticket.deallocate()
            return queued
        }
        var until = timespec()
        clock_gettime(CLOCK_REALTIME, &until)
        let ns = Int(until.tv_nsec) + (max(0, timeoutMS) % 1000) * 1_000_000
        until.tv_sec += max(0, timeoutMS) / 1000 + ns / 1_000_000_000
        until.tv_nsec = ns % 1_000_000_000
        while true {
            if sem_timedwait(ticket, &until) == 0 { return .entered }
            if errno == EINTR { continue }
            break  // ETIMEDOUT
        }
        // Gave up — unless `leave` handed this waiter the turn meanwhile.
        let cancelled = state.withLock { s in
            guard let index = s.waiters[s.head...].firstIndex(of: key) else { return false }
            s.waiters[index] = 0
            s.waiting -= 1
            return true
        }
        if cancelled { return .timedOut }
        while sem_wait(ticket) != 0 && errno == EINTR {}
        return .entered
    }

    /// Ends a turn: the longest waiter starts, else the slot is free.
    public func leave() {
        guard width > 0 else { return }
        state.withLock { s in
            while s.head < s.waiters.count {
                let next = s.waiters[s.head]
                s.head += 1
                if let waiter = UnsafeMutablePointer<sem_t>(bitPattern: next) {
                    s.waiting -= 1
                    sem_post(waiter)  // the turn passes straight to the next in line
                    compact(&s)
                    return
                }
            }
            s.free += 1
            compact(&s)
        }
    }

    private func compact(_ s: inout State) {
        if s.head == s.waiters.count {
            s.waiters.removeAll(keepingCapacity: true)
            s.head = 0
        } else if s.head > 1024 {
            s.waiters.removeFirst(s.head)
            s.head = 0
        }
    }

    /// The processes running and the requests waiting, now.
    public var load: (running: Int, waiting: Int) {
        state.withLock { s in (width - s.free, s.waiting) }
    }
}
