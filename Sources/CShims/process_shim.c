#define _GNU_SOURCE
#include "process_shim.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int shim_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

int shim_spawn(const char *path, char *const argv[], char *const envp[], int in_fd, int out_fd,
               int err_fd, const int *defaults, int default_count, pid_t *pid_out) {
    /* The child shares this process's memory until exec: with every signal blocked no handler
       of the parent can run in it; it only makes system calls and writes `child_errno`. */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    volatile int child_errno = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigset_t empty;
        int i;
        if (setpgid(0, 0) != 0) goto failed;
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0) goto failed;
        if (err_fd >= 0 && dup2(err_fd, 2) < 0) goto failed;
        if (syscall(SYS_close_range, 3U, ~0U, 0) != 0) goto failed;
        for (i = 0; i < default_count; i++) sigaction(defaults[i], &dfl, NULL);
        sigemptyset(&empty);
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, _NSIG / 8);
        execve(path, argv, envp);
    failed:
        child_errno = errno ? errno : ENOEXEC;
        _exit(127);
    }
    int spawn_errno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (pid < 0) return spawn_errno;
    if (child_errno != 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return child_errno;
    }
    *pid_out = pid;
    return 0;
}
