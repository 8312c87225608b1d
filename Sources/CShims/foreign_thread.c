#include "foreign_thread.h"
#include <pthread.h>
#include <stddef.h>

/* A static, non-PIE executable has no dynamic section: _DYNAMIC is then undefined (weak → NULL). */
extern char _DYNAMIC[] __attribute__((weak));

int foreign_is_static(void) { return _DYNAMIC == NULL; }

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER;  /* one job at a time */
static void (*pending_job)(void *);
static void *pending_arg;
static unsigned long submitted, finished;
static int started;

static void *worker(void *unused) {
    (void)unused;
    pthread_mutex_lock(&mutex);
    for (;;) {
        while (finished == submitted) pthread_cond_wait(&wake, &mutex);
        void (*job)(void *) = pending_job;
        void *arg = pending_arg;
        pthread_mutex_unlock(&mutex);
        job(arg);
        pthread_mutex_lock(&mutex);
        finished++;
        pthread_cond_broadcast(&done);
    }
    return NULL;
}

void foreign_run(void (*job)(void *), void *arg) {
    if (!foreign_is_static()) { job(arg); return; }
    pthread_mutex_lock(&callers);
    pthread_mutex_lock(&mutex);
    if (!started) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 8 << 20);
        pthread_t t;
        if (pthread_create(&t, &attr, worker, NULL) != 0) {
            pthread_attr_destroy(&attr);
            pthread_mutex_unlock(&mutex);
            pthread_mutex_unlock(&callers);
            job(arg);  /* no thread to be had: run here rather than not at all */
            return;
        }
        pthread_attr_destroy(&attr);
        started = 1;
    }
    pending_job = job;
    pending_arg = arg;
    unsigned long ticket = ++submitted;
    pthread_cond_signal(&wake);
    while (finished < ticket) pthread_cond_wait(&done, &mutex);
    pthread_mutex_unlock(&mutex);
    pthread_mutex_unlock(&callers);
}
