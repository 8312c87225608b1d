import CShims

/// What the system libraries loaded with `dlopen` (libcurl, libcrypto) see of the process.
///
/// In a fully static executable they bring their own glibc, with its own `environ`, set to the
/// process's environment when they are loaded; every later change of the environment has to be
/// passed on (`environmentChanged`), or they read a stale or freed array.
public enum LoadedLibraries {
    /// The value of `name` as the loaded libraries' `getenv` returns it (the process's own before
    /// any is loaded, and wherever there is one glibc).
    public static func environmentValue(_ name: String) -> String? {
        foreign_getenv(name).map { String(cString: $0) }
    }

    /// Points the loaded libraries at the process's current environment; call after `setenv` or
    /// `unsetenv`, before they run again.
    public static func environmentChanged() { foreign_sync_environment() }
}
