import FunctionRuntime

extension RunGate {
    /// Runs `body` once a turn comes, with the milliseconds then left of `timeoutMS`; a turn that
    /// does not come in time, or leaves no time, answers `.notStarted` without running it.
    func withTurn(timeoutMS: Int, _ body: (Int) -> ProcessResult) -> ProcessResult {
        let queued = BundleCore.Clock.monotonicMS()
        guard enter(timeoutMS: timeoutMS) else {
            let waited = Int(BundleCore.Clock.monotonicMS() - queued)
            return ProcessResult(end: .notStarted(waitedMS: waited), stdout: [], pid: 0, milliseconds: Double(waited))
        }
        defer { leave() }
        let left = timeoutMS - Int(BundleCore.Clock.monotonicMS() - queued)
        guard left >= 1 else {
            return ProcessResult(end: .notStarted(waitedMS: timeoutMS), stdout: [], pid: 0, milliseconds: 0)
        }
        return body(left)
    }
}
