import FoundationEssentials
import Synchronization

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
    private struct State {
        var free: Int
        /// Waiters in arrival order, each asleep on its own semaphore (no thundering herd), kept
        /// as the semaphore's address; a waiter that gave up leaves 0 behind.
        var waiters: [UInt] = []
        var head = 0
    }

    public let width: Int
    private let state: Mutex<State>

    public init(width: Int) {
        self.width = width
        state = Mutex(State(free: width))
    }

    /// Waits up to `timeoutMS` for a turn, in arrival order. True: the caller holds a turn and
    /// must `leave()`; false: the time ran out and nothing is held.
    public func enter(timeoutMS: Int) -> Bool {
        guard width > 0 else { return true }
        let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
        let key = UInt(bitPattern: semaphore)
        let queued = state.withLock { s in
            if s.free > 0 && s.head == s.waiters.count {
                s.free -= 1
                return false
            }
            s.waiters.append(key)
            return true
        }
        let ticket = semaphore
        guard queued else {
            sem_destroy(ticket)
            ticket.deallocate()
            return true
        }
        defer {
            sem_destroy(ticket)
            ticket.deallocate()
        }
        var until = timespec()
        clock_gettime(CLOCK_REALTIME, &until)
        let ns = Int(until.tv_nsec) + (max(0, timeoutMS) % 1000) * 1_000_000
        until.tv_sec += max(0, timeoutMS) / 1000 + ns / 1_000_000_000
        until.tv_nsec = ns % 1_000_000_000
        while true {
            if sem_timedwait(ticket, &until) == 0 { return true }
            if errno == EINTR { continue }
            break  // ETIMEDOUT
        }
        // Gave up — unless `leave` handed this waiter the turn meanwhile.
        let cancelled = state.withLock { s in
            guard let index = s.waiters[s.head...].firstIndex(of: key) else { return false }
            s.waiters[index] = 0
            return true
        }
        if cancelled { return false }
        while sem_wait(ticket) != 0 && errno == EINTR {}
        return true
    }

    /// Ends a turn: the longest waiter starts, else the slot is free.
    public func leave() {
        guard width > 0 else { return }
        state.withLock { s in
            while s.head < s.waiters.count {
                let next = s.waiters[s.head]
                s.head += 1
                if let waiter = UnsafeMutablePointer<sem_t>(bitPattern: next) {
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
        state.withLock { s in (width - s.free, s.waiters[s.head...].filter { $0 != 0 }.count) }
    }
}
