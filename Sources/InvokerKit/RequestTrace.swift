import FunctionRuntime

/// What answering one request gathered for its access-log line, `/metrics` and `/console`: the
/// function (or pipeline) that ran, its exit status, a note, and the upstream calls its stages'
/// log lines reported.
struct RequestTrace {
    var function: String?
    var exit: Int32?
    var note: String?
    var upstream: [UpstreamRecord] = []
}
