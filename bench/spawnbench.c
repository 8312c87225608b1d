/* Per-request process cost: spawns a command N times with a file on stdin, waits for it, and
   reports the p50/p99 wall time per spawn and the peak resident set size of any child.
   Usage: spawnbench N INPUT_FILE COMMAND [ARGS...]  (prints one line of key=value pairs) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s N INPUT COMMAND [ARGS...]\n", argv[0]); return 64; }
    int n = atoi(argv[1]);
    double *ms = malloc(sizeof(double) * (size_t)n);
    long peak_kb = 0;
    int failures = 0;
    for (int i = 0; i < n; i++) {
        int in = open(argv[2], O_RDONLY), out = open("/dev/null", O_WRONLY);
        if (in < 0 || out < 0) { perror("open"); return 66; }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_adddup2(&fa, out, 1);
        posix_spawn_file_actions_adddup2(&fa, out, 2);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t pid;
        if (posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ) != 0) { perror("posix_spawn"); return 69; }
        int status;
        struct rusage ru;
        wait4(pid, &status, 0, &ru);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failures++;
        if (ru.ru_maxrss > peak_kb) peak_kb = ru.ru_maxrss;
        ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        posix_spawn_file_actions_destroy(&fa);
        close(in); close(out);
    }
    qsort(ms, (size_t)n, sizeof(double), by_value);
    printf("p50_ms=%.3f p99_ms=%.3f peak_rss_kb=%ld failures=%d\n", ms[n / 2], ms[(int)(n * 0.99)], peak_kb, failures);
    return failures ? 1 : 0;
}
