import FoundationEssentials
import FunctionRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The progress of an export run on standard error: on a terminal one live line redrawn in place
/// (pages, tickets, tickets a second, quota use, ETA); otherwise a plain line every `plainEvery`
/// seconds and one at the end, so a log file gets a readable history.
public final class ExportProgress {
    public enum Style: String, Sendable {
        case live, plain, none
    }

    public let style: Style
    let started = Clock.monotonicMS()
    let window: HistoryWindow
    let write: (String) -> Void
    /// When the last plain line was written (none yet: the first update writes one).
    var lastPlain = -Double.infinity
    let plainEvery: Double

    public init(
        style: Style? = nil, window: HistoryWindow, plainEvery: Double = 10,
        write: @escaping (String) -> Void = { StandardStreams.writeError($0) }
    ) {
        self.style = style ?? (isatty(2) == 1 ? .live : .plain)
        self.window = window
        self.plainEvery = plainEvery
        self.write = write
    }

    /// The line for the current counts. `position` is the `updated_at` (Unix seconds) the export
    /// has reached: the share of the window read so far gives the ETA.
    public func line(
        pages: Int, tickets: Int, position: Int64?, quota: QuotaPacer,
        now: Int64 = Int64(Clock.now().timeIntervalSince1970)
    ) -> String {
        let elapsed = max(0.001, (Clock.monotonicMS() - started) / 1000)
        let rate = Double(tickets) / elapsed
        let use = quota.usage
        var parts = [
            "pages \(pages)", "tickets \(Self.grouped(tickets))", "\(Self.grouped(Int(rate.rounded())))/s",
            "\(quota.name) quota \(Int((use.share * 100).rounded())) % of \(quota.perMinute)/min",
        ]
        if use.throttled > 0 { parts.append("429s \(use.throttled)") }
        if let position, now > window.since {
            let done = min(1, max(0, Double(position - window.since) / Double(now - window.since)))
            if done > 0.001 && done < 1 { parts.append("ETA \(Self.duration(elapsed * (1 - done) / done))") }
        }
        parts.append("elapsed \(Self.duration(elapsed))")
        return parts.joined(separator: " · ")
    }

    /// Shows the counts (live: redrawn; plain: at most every `plainEvery` seconds).
    public func update(
        pages: Int, tickets: Int, position: Int64?, quota: QuotaPacer,
        now: Int64 = Int64(Clock.now().timeIntervalSince1970)
    ) {
        switch style {
        case .none: return
        case .live:
            write("\r\u{1B}[K" + line(pages: pages, tickets: tickets, position: position, quota: quota, now: now))
        case .plain:
            let t = Clock.monotonicMS() / 1000
            guard t - lastPlain >= plainEvery else { return }
            lastPlain = t
            write(line(pages: pages, tickets: tickets, position: position, quota: quota, now: now) + "\n")
        }
    }

    /// The last line, always written (the live line is ended with a newline).
    public func finish(
        pages: Int, tickets: Int, quota: QuotaPacer, now: Int64 = Int64(Clock.now().timeIntervalSince1970)
    ) {
        guard style != .none else { return }
        let text = line(pages: pages, tickets: tickets, position: nil, quota: quota, now: now)
        write((style == .live ? "\r\u{1B}[K" : "") + text + "\n")
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
