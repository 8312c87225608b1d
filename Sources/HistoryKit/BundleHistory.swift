import FoundationEssentials
import FunctionRuntime

/// The `bundle-history` program behind `./invoke backfill` and `./invoke report`.
public enum BundleHistory {
    public static let usage = """
        Usage: bundle-history backfill --since DATE [options]   (./invoke backfill --help)
               bundle-history report [--since 30d] [options]    (./invoke report --help)
        """

    /// Runs with `arguments` (after the program name); returns the exit status: 0 done, 64 usage,
    /// 65 a bad state file or events Klaviyo refused (listed), 75 a service unavailable, 78 a
    /// setting missing or refused, 70 otherwise.
    public static func run(
        arguments: [String], environment: [String: String], write: @escaping (String) -> Void
    ) -> Int32 {
        let config = Config(environment: environment)
        let now = Int64(Clock.now().timeIntervalSince1970)
        // Error lines are log lines: secrets, phone numbers and emails masked (a service's error
        // body may quote a requester).
        let redactor = Redactor(secrets: config.secrets)
        func fail(_ text: String) { StandardStreams.writeError(redactor.redact("error: " + text) + "\n") }
        do {
            guard let command = arguments.first else { throw HistoryError(.usage, usage) }
            let rest = Array(arguments.dropFirst())
            switch command {
            case "backfill":
                let options = try BackfillOptions.parse(rest, now: now)
                let directory = environment["BUNDLE_STATE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "."
                return try BackfillCommand(options: options, config: config, stateDirectory: directory, write: write)
                    .run()
            case "report":
                let options = try ReportOptions.parse(rest, now: now)
                return try ReportCommand(options: options, config: config, write: write).run()
            case "-h", "--help":
                throw HistoryError(.help, usage)
            default:
                throw HistoryError(.usage, "unknown command \(command)\n\(usage)")
            }
        } catch let e as HistoryError where e.code == .help {
            write(e.message)
            return 0
        } catch let e as RuntimeErrorConvertible {
            fail(e.runtimeError.message)
            return e.runtimeError.code.exitStatus
        } catch let e as RuntimeError {
            fail(e.message)
            return e.code.exitStatus
        } catch {
            fail("\(error)")
            return RuntimeError.Code.internal.exitStatus
        }
    }
}
