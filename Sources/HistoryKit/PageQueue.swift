import Dispatch
import FunctionRuntime

/// A bounded hand-over between the thread reading export pages and the one handling them: the
/// reader stays at most `capacity` pages ahead, so memory holds a few pages whatever the
/// account's size. One producer, one consumer.
final class PageQueue<Item>: @unchecked Sendable {
    private let slots: DispatchSemaphore
    private let filled = DispatchSemaphore(value: 0)
    private let lock = Lock()
    private var items: [Item] = []

    init(capacity: Int) { slots = DispatchSemaphore(value: capacity) }

    /// Waits for room, then adds `item`.
    func put(_ item: Item) {
        slots.wait()
        lock.withLock { items.append(item) }
        filled.signal()
    }

    /// Waits for the next item.
    func take() -> Item {
        filled.wait()
        let item = lock.withLock { items.removeFirst() }
        slots.signal()
        return item
    }
}
