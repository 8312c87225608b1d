#ifndef PROCESS_SHIM_H
#define PROCESS_SHIM_H
#include <sys/types.h>

/* A file descriptor that becomes readable when process `pid` ends (Linux pidfd_open, 5.3+);
   -1 when the kernel has none (the caller falls back to polling for the exit). */
int shim_pidfd_open(pid_t pid);

/* Starts `path` with `argv` and `envp` in a process group of its own: `in_fd`, `out_fd` and
   `err_fd` (-1: the caller's stderr) become its fds 0, 1 and 2, every other fd from 3 up is
   closed, the `default_count` signals in `defaults` are reset to SIG_DFL (ignored dispositions
   survive exec) and its signal mask is empty. The caller's thread is suspended until the child
   has exec'ed (vfork): no stack is mapped per start and no per-signal scan is made, which is
   what posix_spawn spends on each start (a stack mmap/munmap and two sigaction calls for each of
   the 64 signals). Returns 0 and sets `*pid_out`, or an errno value (exec failures included; the
   failed child is reaped). */
int shim_spawn(const char *path, char *const argv[], char *const envp[], int in_fd, int out_fd,
               int err_fd, const int *defaults, int default_count, pid_t *pid_out);

#endif
