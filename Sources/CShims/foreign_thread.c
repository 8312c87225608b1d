#define _GNU_SOURCE
#include "foreign_thread.h"
#include <dlfcn.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A static, non-PIE executable has no dynamic section: _DYNAMIC is then undefined (weak → NULL). */
extern char _DYNAMIC[] __attribute__((weak));

int foreign_is_static(void) { return _DYNAMIC == NULL; }

extern char **environ;
/* The dlopen'ed glibc's `environ` and `getenv` (static executables, once a library is loaded). */
typedef char *(*getenv_function)(const char *);
static _Atomic(char ***) loaded_environ;
static _Atomic(getenv_function) loaded_getenv;

void foreign_note_library(void *handle) {
    if (!foreign_is_static() || loaded_environ) return;
    /* Looked up through the library's own dependencies: their glibc, not the static one. */
    loaded_getenv = (getenv_function)dlsym(handle, "getenv");
    loaded_environ = (char ***)dlsym(handle, "environ");
}

typedef struct getenv_job {
    const char *name;
    const char *value;
} getenv_job;

static void run_getenv(void *arg) {
    getenv_job *job = arg;
    getenv_function loaded = loaded_getenv;
    job->value = loaded(job->name);
}

const char *foreign_getenv(const char *name) {
    if (!loaded_getenv) return getenv(name);
    getenv_job job = {.name = name, .value = NULL};
    foreign_run(run_getenv, &job);
    return job.value;
}

/* The hand-off is two futex words, no condition variables: the caller publishes the job and bumps
   `submitted`, the thread runs it and sets `finished` to the same count. Each side sleeps on the
   other's word only after saying so (`*_waiting`, sequentially consistent, re-checked before the
   sleep), and the other side wakes it only then: four system calls per job at most, where
   glibc's condition variables and their mutex made about seven (strace of a warm worker). */
static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER; /* one job at a time */
static void (*pending_job)(void *);
static void *pending_arg;
static _Atomic unsigned submitted, finished;
static _Atomic int worker_waiting, caller_waiting;
static int started; /* under `callers` */
static pthread_t thread; /* under `callers`, once started */
static int thread_cpu = -1; /* the CPU the thread is held to, -1 for any; under `callers` */

static void futex_wait(_Atomic unsigned *word, unsigned expected) {
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic unsigned *word) {
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *worker(void *unused) {
    (void)unused;
    unsigned done = 0;
    for (;;) {
        unsigned ticket;
        while ((ticket = atomic_load(&submitted)) == done) {
            atomic_store(&worker_waiting, 1);
            if (atomic_load(&submitted) == done) futex_wait(&submitted, done);
            atomic_store(&worker_waiting, 0);
        }
        pending_job(pending_arg);
        done = ticket;
        atomic_store(&finished, done);
        if (atomic_load(&caller_waiting)) futex_wake(&finished);
    }
    return NULL;
}

void foreign_run(void (*job)(void *), void *arg) {
    if (!foreign_is_static()) { job(arg); return; }
    pthread_mutex_lock(&callers);
    /* The environment may have moved since the last job (see foreign_note_library). */
    char ***loaded = loaded_environ;
    if (loaded && *loaded != environ) *loaded = environ;
    if (!started) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 8 << 20);
        pthread_t t;
        if (pthread_create(&t, &attr, worker, NULL) != 0) {
            pthread_attr_destroy(&attr);
            pthread_mutex_unlock(&callers);
            job(arg); /* no thread to be had: run here rather than not at all */
            return;
        }
        pthread_attr_destroy(&attr);
        thread = t;
        started = 1;
    }
    /* The caller only waits while the thread runs its job, so the two never need two CPUs: the
       thread is held to the caller's CPU (moved when the caller has moved), where waking it and
       being woken by it are a local switch. Across CPUs each wake-up may find the other CPU
       halted — on a virtual machine a round trip cost 45–50 µs, against 5 µs on one CPU. */
    int cpu = sched_getcpu();
    if (cpu >= 0 && cpu != thread_cpu && cpu < CPU_SETSIZE) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        thread_cpu = pthread_setaffinity_np(thread, sizeof set, &set) == 0 ? cpu : -1;
    }
    pending_job = job;
    pending_arg = arg;
    unsigned ticket = atomic_load(&submitted) + 1;
    atomic_store(&submitted, ticket);
    if (atomic_load(&worker_waiting)) futex_wake(&submitted);
    while (atomic_load(&finished) != ticket) {
        atomic_store(&caller_waiting, 1);
        if (atomic_load(&finished) != ticket) futex_wait(&finished, ticket - 1);
        atomic_store(&caller_waiting, 0);
    }
    pthread_mutex_unlock(&callers);
}
