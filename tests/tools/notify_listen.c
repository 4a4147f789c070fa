/*
 * notify_listen.c - a stand-in for systemd's notify socket, for tests: binds an AF_UNIX
 * datagram socket at PATH and prints every datagram a service sends there (sd_notify with
 * NOTIFY_SOCKET=PATH), one line per field, each prefixed with the time it arrived:
 *
 *   notify_listen PATH
 *   1733310000123 READY=1
 *   1733310000123 STATUS=consuming declarations: 0 records applied
 *
 * (milliseconds since the epoch, CLOCK_REALTIME). Output is flushed after every datagram.
 * Runs until SIGTERM or SIGINT, then removes PATH and exits 0; exits 1 when PATH cannot be
 * bound.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct sigaction sa = {0};
    char buf[4096];

    if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "usage: notify_listen PATH (at most %zu bytes)\n",
                sizeof(addr.sun_path) - 1);
        return 2;
    }
    memcpy(addr.sun_path, argv[1], strlen(argv[1]) + 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    unlink(argv[1]);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "notify_listen: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    sa.sa_handler = on_stop; /* no SA_RESTART: recv returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stop) {
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "notify_listen: recv: %s\n", strerror(errno));
            break;
        }
        buf[n] = '\0';
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
            printf("%lld %s\n", ms, line);
        fflush(stdout);
    }
    close(fd);
    unlink(argv[1]);
    return 0;
}
