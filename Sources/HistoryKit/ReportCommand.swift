import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// `./invoke report`: reads the export over the window and writes the support report.
public final class ReportCommand {
    let options: ReportOptions
    let config: Config
    let write: (String) -> Void

    public init(options: ReportOptions, config: Config, write: @escaping (String) -> Void) {
        self.options = options
        self.config = config
        self.write = write
    }

    public func run() throws -> Int32 {
        var report = SupportReport(window: options.window, brand: options.brand, channel: options.channel)
        let pacers = options.export.pacers()
        let export = pacers[0]
        let reader = ExportReader(
            config: config, transport: HTTPTransport(), pacers: pacers, include: SupportReport.sideloads,
            start: .startTime(options.window.since), perPage: options.export.pageSize)
        let progress = ExportProgress(style: options.export.progress, window: options.window)
        var pages = 0, tickets = 0
        while let page = try reader.next() {
            for t in page.tickets { report.add(t, page: page) }
            pages += 1
            tickets += page.tickets.count
            progress.update(
                pages: pages, tickets: tickets, position: page.position, quota: export)
        }
        progress.finish(pages: pages, tickets: tickets, quota: export)
        let text: String
        switch options.format {
        case .json: text = report.json.serialized()
        case .csv: text = report.csv
        case .html: text = report.html(generated: Clock.iso8601(Clock.now()))
        }
        if let out = options.out {
            if case .failure(let why) = FileBytes.writeAtomically(out, Array(text.utf8)) {
                throw HistoryError(.state, "cannot write \(out): \(why.text)")
            }
            write("report: \(out) (\(report.totals.created) tickets created, \(report.totals.solved) solved)")
        } else {
            write(text)
        }
        return 0
    }
}
