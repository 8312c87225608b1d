import CShims

/// What the system libraries loaded with `dlopen` (libcurl, libcrypto) see of the process.
///
/// In a fully static executable they bring their own glibc, with its own `environ`; the hand-off
/// to them (`foreign_run`) points it at the process's current environment before every call, so
/// `setenv` and `unsetenv` reach them too.
public enum LoadedLibraries {
    /// The value of `name` as the loaded libraries' `getenv` returns it (the process's own before
    /// any is loaded, and wherever there is one glibc).
    public static func environmentValue(_ name: String) -> String? {
        foreign_getenv(name).map { String(cString: $0) }
    }
}
