/*
 * tcpproxy.c - test tool: a loopback TCP proxy that injects black-hole and slow faults
 * (tests/chaos: scenarios pg_stall_*, pg_slow, broker_stall).
 *
 *   tcpproxy [-c CONTROL_FIFO] [-f PORT_FILE] [-n NETNS] [-m MODE] LISTEN:TARGET ...
 *
 * For every LISTEN:TARGET pair it listens on 127.0.0.1:LISTEN (0 = a free port chosen by
 * the kernel) and forwards each connection to 127.0.0.1:TARGET. With -n NETNS (a network
 * namespace file such as /proc/PID/ns/net; needs CAP_SYS_ADMIN) the listening sockets are
 * made inside that namespace and the connections to the targets from the proxy's own, so
 * that a process in NETNS sees the proxy at the targets' own addresses (the Kafka brokers
 * advertise theirs, a proxy on another port would be bypassed after the first metadata).
 * Once listening, the chosen ports are printed as one line on stdout and written
 * (atomically) to PORT_FILE, in the order of the pairs.
 *
 * Modes (initially pass, or -m MODE), one command a line on the control fifo (created here,
 * removed at exit):
 *   pass        forward everything as it comes
 *   delay MS    every chunk read is forwarded MS milliseconds later, in each direction: a
 *               request and its answer cost 2 x MS (`delay 100` = 200 ms per round trip)
 *   stall       a black hole: connections are still accepted and read (up to 1 MiB per
 *               direction, then the TCP window fills), but nothing is forwarded or answered,
 *               no new connection is made to the target, existing ones stop too; a client
 *               sees its connect succeed and then silence
 *   cut         every connection reset (RST to both sides); new ones accepted and reset
 * Back to pass (or delay) after a stall, what was held is forwarded in order (a healed
 * network partition: connections that were kept survive). Every mode change is logged on
 * stderr with the number of connections, e.g. "tcpproxy: mode stall (3 connections)".
 * SIGTERM or SIGINT: close everything and exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 16
#define MAX_CONNS  256
#define QUEUE_CAP  (1 << 20) /* bytes held per direction before reading stops */
#define CHUNK      16384

enum mode { MODE_PASS, MODE_DELAY, MODE_STALL, MODE_CUT };
static const char *const mode_names[] = {"pass", "delay", "stall", "cut"};

struct chunk {
    struct chunk *next;
    int64_t due_ms; /* monotonic time from which it may be written */
    size_t len, off;
    char data[];
};

/* One direction of a connection: bytes read from `from`, queued, written to `to`. */
struct dir {
    struct chunk *head, *tail;
    size_t queued;
    int eof;  /* `from` reached end of file or failed: nothing more will be read */
    int shut; /* end of file passed on: shutdown(to, SHUT_WR) done */
};

struct conn {
    int fd[2];       /* [0] the client, [1] the target (-1 until a connect is started) */
    int connecting;  /* the connect to the target is in progress */
    int target;      /* port */
    struct dir d[2]; /* d[0]: client -> target, d[1]: target -> client */
};

struct listener {
    int fd, port, target;
};

static volatile sig_atomic_t stop_signal;
static enum mode mode = MODE_PASS;
static int delay_ms;
static struct listener listeners[MAX_LISTEN];
static int n_listeners;
static struct conn *conns[MAX_CONNS];
static int n_conns;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A log line on stderr, with the wall-clock time (to line up with customsd's logs). */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    struct timespec ts;
    struct tm tm;
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld tcpproxy: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* Close fd with an RST rather than a FIN (SO_LINGER 0). */
static void close_reset(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};

    if (fd < 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
}

static void conn_free(int i, int reset)
{
    struct conn *c = conns[i];

    for (int k = 0; k < 2; k++) {
        struct chunk *ch = c->d[k].head;
        while (ch) {
            struct chunk *next = ch->next;
            free(ch);
            ch = next;
        }
        if (reset)
            close_reset(c->fd[k]);
        else if (c->fd[k] >= 0)
            close(c->fd[k]);
    }
    free(c);
    conns[i] = conns[--n_conns];
}

/* Start the non-blocking connect of c to its target. -1 when it failed at once. */
static int conn_connect(struct conn *c)
{
    struct sockaddr_in a = loopback(c->target);
    int one = 1;

    c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd[1] < 0)
        return -1;
    setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd[1], (struct sockaddr *)&a, sizeof(a)) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    c->connecting = 1;
    return 0;
}

static void accept_one(struct listener *l)
{
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
    struct conn *c;

    if (fd < 0)
        return;
    if (mode == MODE_CUT || n_conns == MAX_CONNS) {
        close_reset(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        close_reset(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd[0] = fd;
    c->fd[1] = -1;
    c->target = l->target;
    conns[n_conns++] = c;
    /* A black hole makes no connection to the target; pass does it when it comes back. */
    if (mode != MODE_STALL && conn_connect(c) < 0)
        conn_free(n_conns - 1, 1);
}

/* Read what is there from side k into d[k]. */
static void conn_read(struct conn *c, int k)
{
    struct dir *d = &c->d[k];
    struct chunk *ch = malloc(sizeof(*ch) + CHUNK);
    ssize_t n;

    if (!ch)
        return;
    n = recv(c->fd[k], ch->data, CHUNK, 0);
    if (n <= 0) {
        free(ch);
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            d->eof = 1;
        return;
    }
    ch->next = NULL;
    ch->len = (size_t)n;
    ch->off = 0;
    ch->due_ms = now_ms() + (mode == MODE_DELAY ? delay_ms : 0);
    if (d->tail)
        d->tail->next = ch;
    else
        d->head = ch;
    d->tail = ch;
    d->queued += (size_t)n;
}

/* Write the due chunks of d[k] to the other side. -1 when that side failed. */
static int conn_write(struct conn *c, int k, int64_t now)
{
    struct dir *d = &c->d[k];
    int to = c->fd[1 - k];

    while (d->head && d->head->due_ms <= now) {
        struct chunk *ch = d->head;
        ssize_t n = send(to, ch->data + ch->off, ch->len - ch->off, MSG_NOSIGNAL);

        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        ch->off += (size_t)n;
        d->queued -= (size_t)n;
        if (ch->off < ch->len)
            return 0;
        d->head = ch->next;
        if (!d->head)
            d->tail = NULL;
        free(ch);
    }
    if (!d->head && d->eof && !d->shut) {
        shutdown(to, SHUT_WR);
        d->shut = 1;
    }
    return 0;
}

/* Set a mode from a control line; logs the change or the error. */
static void control_command(char *line)
{
    char *save = NULL, *cmd = strtok_r(line, " \t\r", &save);
    char *arg = cmd ? strtok_r(NULL, " \t\r", &save) : NULL;

    if (!cmd)
        return;
    if (strcmp(cmd, "pass") == 0 && !arg) {
        mode = MODE_PASS;
    } else if (strcmp(cmd, "delay") == 0 && arg) {
        char *end;
        long ms = strtol(arg, &end, 10);
        if (*end || ms < 0 || ms > 600000) {
            say("control: bad delay \"%s\" (0 to 600000 ms)", arg);
            return;
        }
        mode = MODE_DELAY;
        delay_ms = (int)ms;
    } else if (strcmp(cmd, "stall") == 0 && !arg) {
        mode = MODE_STALL;
    } else if (strcmp(cmd, "cut") == 0 && !arg) {
        int n = n_conns;
        mode = MODE_CUT;
        while (n_conns > 0)
            conn_free(n_conns - 1, 1);
        say("mode cut (%d connections reset)", n);
        return;
    } else {
        say("control: unknown command \"%s\" (pass, delay MS, stall, cut)", cmd);
        return;
    }
    if (mode == MODE_DELAY)
        say("mode delay %d ms each way (%d connections)", delay_ms, n_conns);
    else
        say("mode %s (%d connections)", mode_names[mode], n_conns);
}

static void control_read(int fd, char *buf, size_t cap, size_t *used)
{
    ssize_t got = read(fd, buf + *used, cap - 1 - *used);
    char *line, *nl;

    if (got <= 0)
        return;
    *used += (size_t)got;
    buf[*used] = '\0';
    line = buf;
    while ((nl = strchr(line, '\n')) != NULL) {
        *nl = '\0';
        control_command(line);
        line = nl + 1;
    }
    *used -= (size_t)(line - buf);
    memmove(buf, line, *used);
    if (*used == cap - 1)
        *used = 0; /* an over-long line: dropped */
}

static int parse_pair(const char *s, struct listener *l)
{
    char *end;
    long a = strtol(s, &end, 10), b;

    if (end == s || *end != ':' || a < 0 || a > 65535)
        return -1;
    s = end + 1;
    b = strtol(s, &end, 10);
    if (end == s || *end || b < 1 || b > 65535)
        return -1;
    l->port = (int)a;
    l->target = (int)b;
    return 0;
}

static int open_listener(struct listener *l)
{
    struct sockaddr_in a = loopback(l->port);
    socklen_t alen = sizeof(a);
    int one = 1;

    l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0)
        return -1;
    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(l->fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l->fd, 128) < 0 ||
        getsockname(l->fd, (struct sockaddr *)&a, &alen) < 0)
        return -1;
    l->port = ntohs(a.sin_port);
    return 0;
}

/* Open every listener, inside the network namespace netns when it is not NULL. */
static int open_listeners(const char *netns)
{
    int self = -1, ns = -1, rc = -1;

    if (netns) {
        self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        ns = open(netns, O_RDONLY | O_CLOEXEC);
        if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
            say("network namespace %s: %s", netns, strerror(errno));
            goto out;
        }
    }
    for (int i = 0; i < n_listeners; i++) {
        if (open_listener(&listeners[i]) < 0) {
            say("listen on 127.0.0.1:%d: %s", listeners[i].port, strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    /* The connections to the targets are made from our own namespace. */
    if (netns && self >= 0 && setns(self, CLONE_NEWNET) < 0) {
        say("back to our network namespace: %s", strerror(errno));
        rc = -1;
    }
    if (self >= 0)
        close(self);
    if (ns >= 0)
        close(ns);
    return rc;
}

static int write_port_file(const char *path, const char *line)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f || fputs(line, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
        say("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* One round of the event loop: poll, then accept, read, write. */
static void loop_once(int cfd, char *ctl_buf, size_t ctl_cap, size_t *ctl_used)
{
    struct pollfd pfd[1 + MAX_LISTEN + 2 * MAX_CONNS];
    int np = 0, timeout = -1, n = n_conns;
    int64_t now = now_ms();

    pfd[np++] = (struct pollfd){.fd = cfd, .events = POLLIN};
    for (int i = 0; i < n_listeners; i++)
        pfd[np++] = (struct pollfd){.fd = listeners[i].fd, .events = POLLIN};
    for (int i = 0; i < n; i++) {
        struct conn *c = conns[i];
        for (int k = 0; k < 2; k++) {
            struct dir *in = &c->d[k], *out = &c->d[1 - k];
            short ev = 0;

            if (c->fd[k] >= 0 && !(k == 1 && c->connecting)) {
                if (!in->eof && in->queued < QUEUE_CAP)
                    ev |= POLLIN;
                if (mode != MODE_STALL && out->head && c->fd[1] >= 0 && !c->connecting) {
                    if (out->head->due_ms <= now)
                        ev |= POLLOUT;
                    else if (timeout < 0 || out->head->due_ms - now < timeout)
                        timeout = (int)(out->head->due_ms - now);
                }
            } else if (k == 1 && c->connecting) {
                ev = POLLOUT;
            }
            /* Nothing asked: not polled at all (a hang-up would wake poll again and again). */
            pfd[np++] = (struct pollfd){.fd = ev ? c->fd[k] : -1, .events = ev};
        }
    }
    if (poll(pfd, (nfds_t)np, timeout) < 0)
        return; /* EINTR: a signal */
    if (pfd[0].revents & POLLIN)
        control_read(cfd, ctl_buf, ctl_cap, ctl_used);
    for (int i = 0; i < n_listeners; i++)
        if (pfd[1 + i].revents & POLLIN)
            accept_one(&listeners[i]);
    if (mode == MODE_CUT)
        return;
    now = now_ms();
    /* Backwards, so that conn_free (which moves the last one into the hole) is safe; the
     * connections accepted in this round are past n and wait for the next one. */
    for (int i = n - 1; i >= 0; i--) {
        struct conn *c = conns[i];
        struct pollfd *p = &pfd[1 + n_listeners + 2 * i];
        int failed = 0;

        int was_connecting = c->connecting;

        if (c->fd[1] < 0) {
            if (mode != MODE_STALL && conn_connect(c) < 0)
                failed = 1;
        } else if (c->connecting && p[1].revents) {
            int err = 0;
            socklen_t len = sizeof(err);
            getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len);
            if (err)
                failed = 1;
            else
                c->connecting = 0;
        }
        for (int k = 0; k < 2 && !failed; k++)
            if ((k == 0 || !was_connecting) && (p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                conn_read(c, k);
        /* Writes after both reads, so that an end of file read now is passed on now. */
        for (int k = 0; k < 2 && !failed; k++)
            if (mode != MODE_STALL && c->fd[1] >= 0 && !c->connecting && conn_write(c, k, now) < 0)
                failed = 1;
        /* Done when both directions reached end of file and passed it on, or one side
         * failed (the other one then gets an RST). */
        if (failed || (c->d[0].shut && c->d[1].shut))
            conn_free(i, failed);
    }
}

int main(int argc, char **argv)
{
    const char *fifo = NULL, *port_file = NULL, *netns = NULL;
    char ctl_buf[1024], ports[MAX_LISTEN * 8 + 2] = "";
    size_t ctl_used = 0, plen = 0;
    struct sigaction sa = {.sa_handler = on_signal};
    int c, cfd = -1, rc = 1;

    while ((c = getopt(argc, argv, "c:f:n:m:h")) != -1) {
        switch (c) {
        case 'c':
            fifo = optarg;
            break;
        case 'f':
            port_file = optarg;
            break;
        case 'n':
            netns = optarg;
            break;
        case 'm': {
            char line[64];
            snprintf(line, sizeof(line), "%s", optarg);
            control_command(line);
            break;
        }
        default:
            fprintf(stderr, "usage: tcpproxy [-c CONTROL_FIFO] [-f PORT_FILE] [-n NETNS] "
                            "[-m MODE] LISTEN:TARGET ...\n"
                            "modes: pass, delay MS, stall, cut\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind == argc || argc - optind > MAX_LISTEN) {
        fprintf(stderr, "tcpproxy: 1 to %d LISTEN:TARGET pairs wanted\n", MAX_LISTEN);
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        if (parse_pair(argv[i], &listeners[n_listeners]) < 0) {
            fprintf(stderr, "tcpproxy: bad pair \"%s\" (LISTEN:TARGET, ports)\n", argv[i]);
            return 2;
        }
        listeners[n_listeners++].fd = -1;
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (fifo) {
        unlink(fifo);
        /* O_RDWR: the fifo always has a writer (us), so it never reports a hang-up. */
        if (mkfifo(fifo, 0600) < 0 || (cfd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
            say("control fifo %s: %s", fifo, strerror(errno));
            return 1;
        }
    }
    if (open_listeners(netns) < 0)
        goto out;
    for (int i = 0; i < n_listeners; i++) {
        plen += (size_t)snprintf(ports + plen, sizeof(ports) - plen, "%s%d", i ? " " : "",
                                 listeners[i].port);
        say("127.0.0.1:%d%s -> 127.0.0.1:%d", listeners[i].port, netns ? " (in netns)" : "",
            listeners[i].target);
    }
    snprintf(ports + plen, sizeof(ports) - plen, "\n");
    if (port_file && write_port_file(port_file, ports) < 0)
        goto out;
    fputs(ports, stdout);
    fflush(stdout);
    say("pid %ld, mode %s", (long)getpid(), mode_names[mode]);
    while (!stop_signal)
        loop_once(cfd, ctl_buf, sizeof(ctl_buf), &ctl_used);
    say("signal %d, stopping (%d connections closed)", (int)stop_signal, n_conns);
    rc = 0;
out:
    while (n_conns > 0)
        conn_free(n_conns - 1, 0);
    for (int i = 0; i < n_listeners; i++)
        if (listeners[i].fd >= 0)
            close(listeners[i].fd);
    if (port_file)
        unlink(port_file);
    if (cfd >= 0) {
        close(cfd);
        unlink(fifo);
    }
    return rc;
}
