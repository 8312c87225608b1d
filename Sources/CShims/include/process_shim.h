#ifndef PROCESS_SHIM_H
#define PROCESS_SHIM_H
#include <sys/types.h>

/* A file descriptor that becomes readable when process `pid` ends (Linux pidfd_open, 5.3+);
   -1 when the kernel has none (the caller falls back to polling for the exit). */
int shim_pidfd_open(pid_t pid);

#endif
