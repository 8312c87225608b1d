import FunctionRuntime

/// The `bundle-setup` program behind `./invoke setup` and `./invoke check`.
public enum BundleSetup {
    /// Runs with `arguments` (after the program name); returns the exit status: 0 done / ready,
    /// 64 usage, 78 not ready or a setting missing, 75 a service unavailable, 70 otherwise.
    public static func run(
        arguments: [String], environment: [String: String], write: @escaping (String) -> Void
    ) -> Int32 {
        var env = environment
        if env[ConfigKey.budgetMS] == nil { env[ConfigKey.budgetMS] = "120000" }  // many calls, not a webhook
        let context = FunctionContext.make(name: "bundle-setup", environment: env)
        do {
            let options = try SetupOptions.parse(arguments, defaultPublicURL: context.config.value(ConfigKey.publicURL))
            switch options.mode {
            case .setup:
                _ = try SetupCommand(options: options, context: context, write: write).run()
                return 0
            case .check:
                let (rows, ready) = CheckCommand(options: options, context: context).run()
                write(CheckCommand.table(rows))
                write(ready ? "Ready." : "Not ready: fix the rows above, then run ./invoke check again.")
                return ready ? 0 : RuntimeError.Code.configMissing.exitStatus
            }
        } catch let e as SetupError where e.code == .help {
            write(e.message)
            return 0
        } catch let e as SetupError where e.code == .usage {
            write(e.message)
            return RuntimeError.Code.usage.exitStatus
        } catch let e as RuntimeErrorConvertible {
            write("error: " + e.runtimeError.message)
            return e.runtimeError.code.exitStatus
        } catch let e as RuntimeError {
            write("error: " + e.message)
            return e.code.exitStatus
        } catch {
            write("error: \(error)")
            return RuntimeError.Code.internal.exitStatus
        }
    }
}
