import FunctionRuntime
import HistoryKit
#if canImport(Glibc)
import Glibc
#endif

exit(
    BundleHistory.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: Config.processEnvironment()) {
        line in
        StandardStreams.write(line + "\n")
    })
