/* A minimal loopback HTTP server for the benchmark's outbound call: answers every request with
   a small JSON body and closes the connection. Prints the bound port, then serves until killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 64)) { perror("bind"); return 1; }
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    const char *reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{\"ok\":true}\n";
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) continue;
        char buf[8192];
        ssize_t got = 0, n;
        while ((n = read(c, buf + got, sizeof buf - 1 - (size_t)got)) > 0) {
            got += n;
            buf[got] = 0;
            if (strstr(buf, "\r\n\r\n")) break;
        }
        ssize_t w = write(c, reply, strlen(reply));
        (void)w;
        close(c);
    }
}
