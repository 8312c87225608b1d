/// A time budget shared by every call of one invocation. Each event gets its own, carried by its
/// `FunctionContext` (as a Lambda invocation's context carries its deadline), never by mutating a
/// shared client. Zendesk waits about 10 s for a webhook answer, so the default budget is 8 s.
public struct Deadline: Sendable {
    public let start: Double
    public let budget: Double

    public init(seconds: Double) {
        start = Clock.monotonicMS()
        budget = seconds
    }

    /// Seconds left, never negative.
    public var remaining: Double { max(0, budget - (Clock.monotonicMS() - start) / 1000) }
}
