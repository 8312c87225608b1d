import FunctionRuntime
import HistoryKit
import Testing

/// The progress line of an export run: what it says, and when each style writes it.
@Suite struct ExportProgressTests {
    final class Lines {
        var all: [String] = []
    }

    static let window = HistoryWindow(since: 1_000_000, until: 2_000_000)
    static func pacer() -> QuotaPacer { QuotaPacer(name: "export", perMinute: 600, margin: 1) }

    @Test func theLineCountsPagesTicketsQuotaAndAnETA() {
        let progress = ExportProgress(style: .plain, window: Self.window, write: { _ in })
        let halfway = progress.line(
            pages: 41, tickets: 12_345, position: 1_500_000, quota: Self.pacer(), now: 2_000_000)
        #expect(halfway.hasPrefix("pages 41 · tickets 12,345 · "), "\(halfway)")
        #expect(halfway.contains("export quota "), "\(halfway)")
        #expect(halfway.contains(" of 600/min"), "\(halfway)")
        #expect(halfway.contains("ETA "), "\(halfway)")
        #expect(halfway.contains("elapsed "), "\(halfway)")
        // No position (or one at the window's end): no ETA.
        let unknown = progress.line(pages: 1, tickets: 999, position: nil, quota: Self.pacer(), now: 2_000_000)
        #expect(!unknown.contains("ETA"), "\(unknown)")
        #expect(unknown.contains("tickets 999 · "), "\(unknown)")
        let done = progress.line(pages: 1, tickets: 1_000_000, position: 2_000_000, quota: Self.pacer(), now: 2_000_000)
        #expect(!done.contains("ETA"), "\(done)")
        #expect(done.contains("tickets 1,000,000"), "\(done)")
    }

    @Test func plainWritesAtMostEveryIntervalAndAlwaysAtTheEnd() {
        let lines = Lines()
        let progress = ExportProgress(
            style: .plain, window: Self.window, plainEvery: 3600, write: { lines.all.append($0) })
        for page in 1...5 {
            progress.update(pages: page, tickets: page * 100, position: 1_200_000, quota: Self.pacer())
        }
        // The first update writes (nothing was written for an hour before it), the next four wait.
        #expect(lines.all.count == 1, "\(lines.all)")
        progress.finish(pages: 5, tickets: 500, quota: Self.pacer())
        #expect(lines.all.count == 2)
        #expect(lines.all.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\u{1B}") })
        #expect(lines.all[1].hasPrefix("pages 5 · tickets 500 · "), "\(lines.all)")
    }

    @Test func liveRedrawsOneLineAndEndsIt() {
        let lines = Lines()
        let progress = ExportProgress(style: .live, window: Self.window, write: { lines.all.append($0) })
        progress.update(pages: 1, tickets: 10, position: nil, quota: Self.pacer())
        progress.update(pages: 2, tickets: 20, position: nil, quota: Self.pacer())
        progress.finish(pages: 2, tickets: 20, quota: Self.pacer())
        #expect(lines.all.count == 3)
        #expect(lines.all.allSatisfy { $0.hasPrefix("\r\u{1B}[K") })
        #expect(!lines.all[0].hasSuffix("\n") && !lines.all[1].hasSuffix("\n"))
        #expect(lines.all[2].hasSuffix("\n"))
    }

    @Test func noneWritesNothing() {
        let lines = Lines()
        let progress = ExportProgress(
            style: ExportProgress.Style.none, window: Self.window, write: { lines.all.append($0) })
        progress.update(pages: 1, tickets: 10, position: nil, quota: Self.pacer())
        progress.finish(pages: 1, tickets: 10, quota: Self.pacer())
        #expect(lines.all.isEmpty)
    }
}
