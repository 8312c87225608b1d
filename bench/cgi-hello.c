/* The race's baseline program: a trivial CGI/1.1 program. Reads the request body (CONTENT_LENGTH
 * bytes), answers 200 with a small JSON document. Run unchanged by every runner of bench/race.sh. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *length = getenv("CONTENT_LENGTH");
    long n = length ? strtol(length, NULL, 10) : 0;
    char buf[65536];
    while (n > 0) {
        size_t want = n < (long)sizeof buf ? (size_t)n : sizeof buf;
        size_t got = fread(buf, 1, want, stdin);
        if (got == 0) break;
        n -= (long)got;
    }
    fputs("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"outcome\":\"ok\"}\n", stdout);
    return 0;
}
