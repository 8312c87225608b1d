import FunctionRuntime
import SetupKit
#if canImport(Glibc)
import Glibc
#endif

exit(
    BundleSetup.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: Config.processEnvironment()) {
        line in
        StandardStreams.write(line + "\n")
    })
