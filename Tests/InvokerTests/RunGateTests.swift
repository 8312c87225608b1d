import FoundationEssentials
import FunctionRuntime
import InvokerKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `RunGate`: at most `width` turns at once, the rest served first come, first served; a waiter
/// whose time runs out leaves nothing held.
@Suite struct RunGateTests {
    @Test func waitersStartInArrivalOrder() {
        let gate = RunGate(width: 1)
        let order = Locked<[Int]>([])
        #expect(gate.enter(timeoutMS: 1000))  // the one turn is held
        var threads: [pthread_t] = []
        for i in 0..<6 {
            // Arrive one after another, so the arrival order is known.
            threads.append(
                TestThread.start {
                    guard gate.enter(timeoutMS: 10_000) else { return }
                    order.withValue { $0.append(i) }
                    gate.leave()
                })
            #expect(TestThread.eventually { gate.load.waiting == i + 1 })
        }
        #expect(gate.load == (running: 1, waiting: 6))
        gate.leave()  // the turns now pass from one waiter to the next
        for t in threads { pthread_join(t, nil) }
        #expect(order.value == [0, 1, 2, 3, 4, 5])
        #expect(gate.load == (running: 0, waiting: 0))
    }

    @Test func widthIsNeverExceeded() {
        let gate = RunGate(width: 2)
        let peak = Locked<(now: Int, max: Int)>((0, 0))
        var threads: [pthread_t] = []
        for _ in 0..<8 {
            threads.append(
                TestThread.start {
                    guard gate.enter(timeoutMS: 10_000) else { return }
                    peak.withValue { $0 = ($0.now + 1, max($0.max, $0.now + 1)) }
                    Clock.sleep(0.01)
                    peak.withValue { $0.now -= 1 }
                    gate.leave()
                })
        }
        for t in threads { pthread_join(t, nil) }
        #expect(peak.value.max == 2)
        #expect(gate.load == (running: 0, waiting: 0))
    }

    @Test func aWaiterWhoseTimeRunsOutHoldsNothing() {
        let gate = RunGate(width: 1)
        #expect(gate.enter(timeoutMS: 100))
        let started = Clock.monotonicMS()
        #expect(!gate.enter(timeoutMS: 150))
        #expect(Clock.monotonicMS() - started >= 140)
        #expect(gate.load == (running: 1, waiting: 0))
        gate.leave()
        // The turn went back to the gate, not to the waiter that gave up.
        #expect(gate.load == (running: 0, waiting: 0))
        #expect(gate.enter(timeoutMS: 10))
        gate.leave()
    }

    @Test func widthZeroIsNoGate() {
        let gate = RunGate(width: 0)
        for _ in 0..<100 { #expect(gate.enter(timeoutMS: 0)) }
    }
}

/// A thread running `body` (pthread: the tests block it on purpose).
enum TestThread {
    final class Box: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping @Sendable () -> Void) -> pthread_t {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        pthread_create(
            &thread, nil,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        return thread
    }

    static func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            Clock.sleep(0.002)
        }
        return condition()
    }
}

@Suite struct RunGateQueueTests {
    @Test func aFullLineIsRefusedAtOnceAndNobodyOvertakes() {
        let gate = RunGate(width: 1, queueLimit: 1)
        #expect(gate.admit(timeoutMS: 10) == .entered)
        let waiter = TestThread.start { if gate.admit(timeoutMS: 5000) == .entered { gate.leave() } }
        #expect(TestThread.eventually { gate.load.waiting == 1 })
        let started = Clock.monotonicMS()
        #expect(gate.admit(timeoutMS: 5000) == .queueFull)
        #expect(Clock.monotonicMS() - started < 100, "refused at once")
        #expect(!gate.tryEnter(), "no slot is taken past a waiter")
        gate.leave()
        pthread_join(waiter, nil)
        #expect(gate.tryEnter())
        #expect(gate.admit(timeoutMS: 50) == .timedOut)
        gate.leave()
        #expect(gate.load == (running: 0, waiting: 0))
    }
}
