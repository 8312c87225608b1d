import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Background work in order per key: jobs with the same key run one after another on one
/// worker thread; different keys run in parallel.
public final class DeliveryQueue: @unchecked Sendable {
    private let lock = Lock()
    private var queues: [String: [() -> Void]] = [:]
    private var running = 0

    public init() {}

    /// Queues `job` behind the other jobs of `key`.
    public func enqueue(key: String, _ job: @escaping () -> Void) {
        let startWorker: Bool = lock.withLock {
            let idle = queues[key] == nil
            queues[key, default: []].append(job)
            if idle { running += 1 }
            return idle
        }
        guard startWorker else { return }
        Thread.detach { [self] in
            while true {
                let next: (() -> Void)? = lock.withLock {
                    guard var q = queues[key], !q.isEmpty else {
                        queues[key] = nil
                        running -= 1
                        return nil
                    }
                    let job = q.removeFirst()
                    queues[key] = q
                    return job
                }
                guard let next else { return }
                next()
            }
        }
    }

    /// True when no job is queued or running.
    public var isIdle: Bool { lock.withLock { running == 0 } }

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
