#ifndef FOREIGN_THREAD_H
#define FOREIGN_THREAD_H

/// Runs `job(arg)` where code from dlopen'ed system libraries (libcurl, libcrypto) may run safely,
/// and returns when it is done.
///
/// In a dynamically linked process that is the calling thread. In a fully static executable, a
/// dlopen'ed glibc keeps its own table of thread-specific keys but stores their values in the
/// same per-thread slots as the static glibc, so OpenSSL read values the Swift runtime or a
/// static library had put there and crashed. There the job runs on one dedicated thread whose
/// slots the static side never touches; the thread lives until the process exits (never joined,
/// so no key destructor of one side runs on the other side's values).
void foreign_run(void (*job)(void *), void *arg);

/// 1 when the process is a fully static executable.
int foreign_is_static(void);

/// Records a library just opened with dlopen (on the foreign thread): in a static executable, the
/// first one gives the dlopen'ed glibc's own `environ` and `getenv`.
///
/// That glibc keeps its own `environ`, set once, when it is loaded, to the array the process had
/// then; `setenv` may later move the array and free the old one (a warm worker's per-request
/// environment, a variable set before another library is loaded). So `foreign_run` points it at
/// the process's current array before every job: the libraries never read a stale or freed one
/// (libcurl's proxy variables, OpenSSL's configuration).
void foreign_note_library(void *handle);

/// `getenv` as the dlopen'ed libraries see it (the process's own `getenv` where there is one glibc,
/// or before any library is loaded). The pointer is valid until the environment changes.
const char *foreign_getenv(const char *name);

#endif
