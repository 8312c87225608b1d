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

#endif
