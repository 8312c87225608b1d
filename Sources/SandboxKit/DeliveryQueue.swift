import BundleCore
import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Background work in order per key: jobs with the same key run one after another on one
/// worker thread; different keys run in parallel.
public final class DeliveryQueue: Sendable {
    public typealias Job = @Sendable () -> Void
    private struct State {
        var queues: [String: [Job]] = [:]
        var running = 0
    }
    private let state = PlainMutex(State())

    public init() {}

    /// Queues `job` behind the other jobs of `key`.
    public func enqueue(key: String, _ job: @escaping Job) {
        let startWorker: Bool = state.withLock { s in
            let idle = s.queues[key] == nil
            s.queues[key, default: []].append(job)
            if idle { s.running += 1 }
            return idle
        }
        guard startWorker else { return }
        Thread.detach { [self] in
            while true {
                let next: Job? = state.withLock { s in
                    guard var q = s.queues[key], !q.isEmpty else {
                        s.queues[key] = nil
                        s.running -= 1
                        return nil
                    }
                    let job = q.removeFirst()
                    s.queues[key] = q
                    return job
                }
                guard let next else { return }
                next()
            }
        }
    }

    /// True when no job is queued or running.
    public var isIdle: Bool { state.withLock { $0.running == 0 } }

    /// Waits until idle or `timeout` seconds pass; returns whether it became idle.
    @discardableResult
    public func waitUntilIdle(timeout: Double) -> Bool {
        let until = Clock.monotonicMS() + timeout * 1000
        while !isIdle {
            if Clock.monotonicMS() >= until { return false }
            Clock.sleep(0.01)
        }
        return true
    }
}
