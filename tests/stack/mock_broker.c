/*
 * mock_broker.c - the Kafka part of the local test stack: a librdkafka mock cluster
 * (rdkafka_mock.h) that speaks the Kafka protocol on loopback TCP, so that customsd, kcat
 * and the test tools can connect to it as to a real broker. See docs/DESIGN.md "Local stack".
 *
 *   mock_broker [-b BROKERS] [-p PARTITIONS] [-t topic[:partitions],...] [-f BOOTSTRAP_FILE]
 *               [-c CONTROL_FIFO]
 *
 * Prints the bootstrap server list as one line on stdout, writes it (atomically) to
 * BOOTSTRAP_FILE, then waits for SIGTERM or SIGINT, destroys the cluster, removes the file
 * and exits 0.
 *
 * Control channel, for the fault-injection tests (tests/chaos):
 *   SIGUSR1   every broker down (rd_kafka_mock_broker_set_down: connections closed, new
 *             ones refused; topics and their data stay, leadership does not move)
 *   SIGUSR2   every broker up again
 *   -c FIFO   a named pipe created here (removed at exit) that takes one command a line:
 *               down [BROKER_ID]          up [BROKER_ID]       (default: all brokers)
 *               topic NAME PARTITIONS     create a topic while running
 * Every command's outcome is logged on stderr ("mock_broker: brokers down", "mock_broker:
 * topic X created, 32 partitions", or the error). Restarting the process instead of
 * setting brokers down would lose every topic's data.
 *
 * Limits of the librdkafka 2.0.2 mock (measured): about 5 MiB and 100,000 batches kept per
 * partition (older data dropped silently), random ports, no transaction emulation.
 * Topics a client asks for that were not created here are auto-created by the mock with
 * its default of 4 partitions when the client allows auto-creation (librdkafka producers
 * do by default, consumers do not).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS     64
#define MAX_TOPIC_NAME 249 /* Kafka's own limit */

static const char *const default_topics =
    "customs.declarations,mishan.warehouse.scans,mishan.warehouse.events,customs.receipts";

struct topic_spec {
    char name[MAX_TOPIC_NAME + 1];
    int partitions; /* 0 = the -p default */
};

struct options {
    int brokers;
    int partitions;
    const char *bootstrap_file;
    const char *control_fifo;
    struct topic_spec topics[MAX_TOPICS];
    int n_topics;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mock_broker [-b BROKERS=3] [-p PARTITIONS=8] "
            "[-t topic[:partitions],...] [-f BOOTSTRAP_FILE] [-c CONTROL_FIFO]\n"
            "default topics: %s\n"
            "SIGUSR1: all brokers down, SIGUSR2: up; FIFO commands: down [ID], up [ID], "
            "topic NAME PARTITIONS\n",
            default_topics);
}

/* Parse a decimal int in [min, max]; -1 when it is not one. */
static int parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

/* Add the comma-separated "name[:partitions]" entries of list to opt->topics. */
static int add_topics(struct options *opt, const char *list)
{
    char *copy = strdup(list), *save = NULL;

    if (!copy)
        return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct topic_spec *t;
        char *colon = strchr(tok, ':');
        size_t nlen;

        if (opt->n_topics == MAX_TOPICS) {
            fprintf(stderr, "mock_broker: more than %d topics\n", MAX_TOPICS);
            goto fail;
        }
        t = &opt->topics[opt->n_topics];
        t->partitions = 0;
        if (colon) {
            *colon = '\0';
            if (parse_int(colon + 1, 1, 10000, &t->partitions) < 0) {
                fprintf(stderr, "mock_broker: bad partition count in \"%s:%s\"\n", tok, colon + 1);
                goto fail;
            }
        }
        nlen = strlen(tok);
        if (nlen == 0 || nlen > MAX_TOPIC_NAME) {
            fprintf(stderr, "mock_broker: bad topic name \"%s\"\n", tok);
            goto fail;
        }
        memcpy(t->name, tok, nlen + 1);
        opt->n_topics++;
    }
    free(copy);
    return 0;
fail:
    free(copy);
    return -1;
}

/*
 * Write line + '\n' to path through a temporary file and rename(2), so that a reader
 * polling for the file never sees a partial list.
 */
static int write_atomically(const char *path, const char *line)
{
    char tmp[PATH_MAX];
    size_t len = strlen(line);
    int fd, n;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        fprintf(stderr, "mock_broker: path too long: %s\n", path);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "mock_broker: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    if (write(fd, line, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
        fprintf(stderr, "mock_broker: write %s: %s\n", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        fprintf(stderr, "mock_broker: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Set broker `id` (-1 = all) down or up and say so on stderr. */
static void set_brokers(rd_kafka_mock_cluster_t *mc, int32_t id, int down)
{
    rd_kafka_resp_err_t err =
        down ? rd_kafka_mock_broker_set_down(mc, id) : rd_kafka_mock_broker_set_up(mc, id);
    char which[32] = "brokers";

    if (id >= 0)
        snprintf(which, sizeof(which), "broker %d", (int)id);
    if (err)
        fprintf(stderr, "mock_broker: %s %s failed: %s\n", which, down ? "down" : "up",
                rd_kafka_err2str(err));
    else
        fprintf(stderr, "mock_broker: %s %s\n", which, down ? "down" : "up");
}

/* Run one control command line (NUL-terminated, without the newline). */
static void control_command(rd_kafka_mock_cluster_t *mc, char *line, int replication)
{
    char *save = NULL, *cmd = strtok_r(line, " \t\r", &save);
    char *a1 = cmd ? strtok_r(NULL, " \t\r", &save) : NULL;
    char *a2 = a1 ? strtok_r(NULL, " \t\r", &save) : NULL;
    int n = -1;

    if (!cmd)
        return;
    if (strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) {
        if (a1 && parse_int(a1, 0, INT_MAX, &n) < 0) {
            fprintf(stderr, "mock_broker: control: bad broker id \"%s\"\n", a1);
            return;
        }
        set_brokers(mc, n, cmd[0] == 'd');
    } else if (strcmp(cmd, "topic") == 0 && a1 && a2 && strlen(a1) <= MAX_TOPIC_NAME &&
               parse_int(a2, 1, 10000, &n) == 0) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, a1, n, replication);
        if (err)
            fprintf(stderr, "mock_broker: control: create topic %s: %s\n", a1,
                    rd_kafka_err2str(err));
        else
            fprintf(stderr, "mock_broker: topic %s created, %d partitions\n", a1, n);
    } else {
        fprintf(stderr, "mock_broker: control: unknown command \"%s\"\n", cmd);
    }
}

/*
 * Read what is available on the control fifo into buf (keeping a partial line for the next
 * call) and run every complete line. Over-long lines are dropped whole.
 */
static void control_read(rd_kafka_mock_cluster_t *mc, int fd, char *buf, size_t cap, size_t *used,
                         int replication)
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
        control_command(mc, line, replication);
        line = nl + 1;
    }
    *used -= (size_t)(line - buf);
    memmove(buf, line, *used);
    if (*used == cap - 1) {
        fprintf(stderr, "mock_broker: control: line too long, dropped\n");
        *used = 0;
    }
}

/*
 * The rd_kafka_t the mock cluster hangs on. It never connects anywhere itself (no
 * bootstrap.servers), it only owns the cluster's bookkeeping and thread.
 */
static rd_kafka_t *make_handle(void)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    /* Quiet: without brokers the handle would otherwise log "no bootstrap.servers". */
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "mock_broker: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "mock_broker: rd_kafka_new: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* conf is owned by rk from here on. */
    return rk;
}

int main(int argc, char **argv)
{
    struct options opt = {.brokers = 3, .partitions = 8};
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    const char *bootstraps;
    sigset_t sigs;
    int c, sig = 0, rc = 1, replication, sfd = -1, cfd = -1;
    char ctl_buf[1024];
    size_t ctl_used = 0;

    while ((c = getopt(argc, argv, "b:p:t:f:c:h")) != -1) {
        switch (c) {
        case 'b':
            if (parse_int(optarg, 1, 64, &opt.brokers) < 0) {
                fprintf(stderr, "mock_broker: -b wants 1..64 brokers\n");
                return 2;
            }
            break;
        case 'p':
            if (parse_int(optarg, 1, 10000, &opt.partitions) < 0) {
                fprintf(stderr, "mock_broker: -p wants 1..10000 partitions\n");
                return 2;
            }
            break;
        case 't':
            if (add_topics(&opt, optarg) < 0)
                return 2;
            break;
        case 'f':
            opt.bootstrap_file = optarg;
            break;
        case 'c':
            opt.control_fifo = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (opt.n_topics == 0 && add_topics(&opt, default_topics) < 0)
        return 1;

    /*
     * Block the stop and control signals before librdkafka starts its threads: they
     * inherit the mask, so the signals can only be taken through the signalfd below, in
     * this thread, and the shutdown runs as ordinary code rather than in a handler.
     */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1);
    sigaddset(&sigs, SIGUSR2);
    if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0) {
        perror("mock_broker: sigprocmask");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sfd < 0) {
        perror("mock_broker: signalfd");
        return 1;
    }
    if (opt.control_fifo) {
        unlink(opt.control_fifo); /* a stale one from a killed run */
        /* O_RDWR: the fifo always has a writer (us), so poll never reports a hang-up
         * between two clients' writes. */
        if (mkfifo(opt.control_fifo, 0600) < 0 ||
            (cfd = open(opt.control_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
            fprintf(stderr, "mock_broker: control fifo %s: %s\n", opt.control_fifo,
                    strerror(errno));
            close(sfd);
            return 1;
        }
    }

    rk = make_handle();
    if (!rk)
        goto out;
    mc = rd_kafka_mock_cluster_new(rk, opt.brokers);
    if (!mc) {
        fprintf(stderr, "mock_broker: rd_kafka_mock_cluster_new failed\n");
        goto out;
    }
    replication = opt.brokers < 3 ? opt.brokers : 3;
    for (int i = 0; i < opt.n_topics; i++) {
        const struct topic_spec *t = &opt.topics[i];
        int parts = t->partitions ? t->partitions : opt.partitions;
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, t->name, parts, replication);

        if (err) {
            fprintf(stderr, "mock_broker: create topic %s: %s\n", t->name, rd_kafka_err2str(err));
            goto out;
        }
        fprintf(stderr, "mock_broker: topic %s, %d partitions\n", t->name, parts);
    }

    bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    if (opt.bootstrap_file && write_atomically(opt.bootstrap_file, bootstraps) < 0)
        goto out;
    printf("%s\n", bootstraps);
    fflush(stdout);
    fprintf(stderr, "mock_broker: %d brokers at %s, pid %ld; SIGTERM to stop\n", opt.brokers,
            bootstraps, (long)getpid());

    for (;;) {
        struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = cfd, .events = POLLIN}};
        struct signalfd_siginfo si;

        if (poll(pfd, cfd >= 0 ? 2 : 1, -1) < 0)
            continue; /* EINTR */
        if (cfd >= 0 && (pfd[1].revents & POLLIN))
            control_read(mc, cfd, ctl_buf, sizeof(ctl_buf), &ctl_used, replication);
        if (!(pfd[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
            continue;
        sig = (int)si.ssi_signo;
        if (sig == SIGTERM || sig == SIGINT)
            break;
        if (sig == SIGUSR1 || sig == SIGUSR2)
            set_brokers(mc, -1, sig == SIGUSR1);
        /* SIGHUP (a closed terminal) is not a reason to drop the test data. */
    }
    fprintf(stderr, "mock_broker: signal %d, stopping\n", sig);
    rc = 0;

out:
    if (opt.bootstrap_file && mc)
        unlink(opt.bootstrap_file); /* the ports die with the cluster */
    if (cfd >= 0) {
        close(cfd);
        unlink(opt.control_fifo);
    }
    if (sfd >= 0)
        close(sfd);
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk)
        rd_kafka_destroy(rk);
    return rc;
}
