/*
 * main.c - customsd: the customs clearance daemon for CEB603 export declarations.
 *
 *   customsd [-c FILE] [-d]     run (default FILE /etc/customsd/customsd.yaml)
 *   customsd -t [-c FILE]       check the configuration and rules, and the database's schema
 *                               release when the database answers; print "configuration OK"
 *   customsd -T [-c FILE]       the same without connecting to the database
 *   customsd -V | -h            print the version or the usage, exit 0
 * Every option has a long form: --config FILE, --debug, --test, --test-offline, --version,
 * --help. Exit status of -t/-T: 0 OK (also when the database does not answer: a note says
 * so), 1 the configuration or the rules file is wrong, 3 the database is at another schema
 * release (the error names the migration or what to do); 2 a usage error (the usage on
 * stderr). The version comes from debian/changelog (build/version.h, made by the Makefile).
 *
 * Credentials (systemd LoadCredential=): when $CREDENTIALS_DIRECTORY holds "pgpass" or
 * "pg_service.conf" and PGPASSFILE / PGSERVICEFILE are not set, libpq is pointed at them, so
 * the PostgreSQL password (or a whole connection service) need not be in the configuration.
 *
 * Signals: the first SIGTERM/SIGINT stops gracefully (the batch in flight is committed or
 * abandoned whole, the producer flushed); a second one exits at once (the database rolls
 * back an open transaction). A database call still running STOP_CANCEL_MS after the first
 * signal is cancelled (PQcancel), and its connection shut down after STOP_CLOSE_MS, by a
 * watcher thread (the handler only sets the flag), so stopping takes seconds whatever the
 * database does. The watcher also closes the connection of a call that outlives
 * postgresql.statement_timeout_ms by OVERDUE_GRACE_MS (a server that stopped answering). SIGHUP
 * reloads the rules file; a bad file keeps the old rules. The outcome (and the request id a
 * sigqueue'd SIGHUP carried, from customsctl reload) goes to $RUNTIME_DIRECTORY/reload
 * (reload.h) and, once READY=1 was sent, to systemd: RELOADING=1, then READY=1 with STATUS=.
 *
 * Under systemd (Type=notify) READY=1 is sent once the consumer works: the database answered
 * at this customsd's schema release and the group assigned partitions (or none: a standby
 * member). Until then, and whenever it pauses later, STATUS= says why ("paused: PostgreSQL
 * unavailable: ...; retrying", "waiting: database lacks migration ...: run ...migrate.sh",
 * "waiting for partition assignment"), and "consuming declarations: N records applied, R
 * declarations/s, lag L; PostgreSQL and Kafka up; last error at T UTC: ..." when it works;
 * STATUS is sent when the state changes (the figures at most every STATUS_REFRESH_MS).
 * WATCHDOG=1 (WatchdogSec= in the unit) is sent only after a step of the main loop returned.
 *
 * Memory: glibc's malloc is told at start to serve every block of MMAP_THRESHOLD_BYTES or
 * more with its own mapping (mallopt M_MMAP_THRESHOLD; MALLOC_MMAP_THRESHOLD_ in the
 * environment wins). Left to itself, glibc raises that threshold to the largest block freed
 * so far (up to 32 MB): librdkafka's fetch responses, the batch document and libpq's buffers
 * then come from the heaps of the threads that allocated them, and the holes they leave
 * there stay resident: peak RSS grew with the length of a run (docs/PERFORMANCE.md, fifth
 * round: where the memory goes, measured before and after).
 *
 * Metrics (metrics.h): one set made here, counted into by the consumer and the relay, the
 * consumer's state, rules and relay totals pushed into it every step, served over HTTP
 * (httpd.h) when metrics.listen is set.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "consumer.h"
#include "httpd.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "relay.h"
#include "reload.h"
#include "rules.h"
#include "schema.h"
#include "store.h"
#include "util.h"
#include "version.h"

#define DEFAULT_CONFIG       "/etc/customsd/customsd.yaml"
#define RELAY_FLUSH_MS       5000
#define STOP_CANCEL_MS       1000  /* a database call this old at a stop is cancelled ... */
#define STOP_CLOSE_MS        3000  /* ... and this old, its connection shut down */
#define OVERDUE_GRACE_MS     5000  /* beyond statement_timeout: the server does not answer */
#define STATUS_REFRESH_MS    10000 /* the records count in STATUS, at most this often */
#define EXIT_SCHEMA          3     /* customsd -t: the database is at another schema release */
#define MMAP_THRESHOLD_BYTES (128 * 1024) /* glibc's initial default, kept fixed */

/* The signal flags: with the log state, the only globals. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static volatile sig_atomic_t reload_id; /* request id of the last SIGHUP (sigqueue), 0 none */

static void on_stop(int sig)
{
    (void)sig;
    if (stop_requested) {
        static const char msg[] = "customsd: second stop signal, exiting now\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        _exit(1);
    }
    stop_requested = 1;
}

static void on_reload(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    reload_id = info && info->si_code == SI_QUEUE ? info->si_value.sival_int : 0;
    reload_requested = 1;
}

struct stop_watch {
    atomic_bool done;
    int overdue_ms; /* a call this old is closed even without a stop; 0 = never */
};

/*
 * The stop watcher: once a stop is requested, interrupts the database calls that keep the
 * consumer or the relay from stopping (store_interrupt_all), until `done`. Without a stop,
 * closes the connection of a call older than overdue_ms (the server's statement_timeout
 * did not end it: the server does not answer), so the caller sees an outage.
 */
static void *stop_watch(void *arg)
{
    struct stop_watch *w = arg;
    struct timespec tick = {0, 100 * 1000 * 1000};
    while (!atomic_load(&w->done)) {
        if (stop_requested) {
            store_interrupt_all(0, STOP_CANCEL_MS);
            store_interrupt_all(1, STOP_CLOSE_MS);
        } else if (w->overdue_ms > 0) {
            store_interrupt_all(1, w->overdue_ms);
        }
        nanosleep(&tick, NULL);
    }
    return NULL;
}

/* What was told to systemd: READY=1 once, STATUS= on every change, WATCHDOG=1. */
struct readiness {
    bool ready;
    int state; /* enum consumer_state last sent, -1 none */
    char status[600];
    int64_t sent_ms;
    struct metrics *metrics; /* may be NULL */

    /* declarations/s in STATUS: over windows of STATUS_REFRESH_MS */
    int64_t window_ms;        /* start of the current window, 0 = none yet */
    uint64_t window_decls;    /* consumer_stats()->declarations at its start */
    double decl_rate;         /* of the last full window, -1 = none yet */
    char last_error[240];     /* the last reason the consumer paused, "" = none */
    char last_error_at[16];   /* its time, "HH:MM:SS" UTC */
    uint64_t watchdog_ms;     /* WATCHDOG=1 this often; 0 = no watchdog */
    int64_t watchdog_sent_ms; /* the last WATCHDOG=1 */
};

/* Names of the consumer states for the metrics (metrics.h consumer_state). */
static const char *state_name(enum consumer_state st)
{
    static const char *const names[] = {[CONSUMER_SCHEMA] = "schema",
                                        [CONSUMER_DB_DOWN] = "postgresql_down",
                                        [CONSUMER_DB_FAILING] = "postgresql_failing",
                                        [CONSUMER_KAFKA_DOWN] = "kafka_down",
                                        [CONSUMER_UNASSIGNED] = "unassigned",
                                        [CONSUMER_STANDBY] = "standby",
                                        [CONSUMER_RUNNING] = "running"};
    return (size_t)st < ARRAY_SIZE(names) && names[st] ? names[st] : "other";
}

/*
 * After "N records applied": the rate, the lag, the connections and the last error, as
 * ", 12.5 declarations/s, lag 30; PostgreSQL and Kafka up; last error at 10:02:03 UTC:
 * PostgreSQL unavailable: ..." (the rate once a window has passed, the lag once sampled).
 */
static void status_details(const struct readiness *r, char *buf, size_t len)
{
    int64_t lag = metrics_lag_total(r->metrics);
    char rate[48] = "", lagtext[40] = "";
    if (r->decl_rate >= 0)
        snprintf(rate, sizeof(rate), ", %.1f declarations/s", r->decl_rate);
    if (lag >= 0)
        snprintf(lagtext, sizeof(lagtext), ", lag %lld", (long long)lag);
    snprintf(buf, len, "%s%s; PostgreSQL and Kafka up%s%s%s%s", rate, lagtext,
             r->last_error[0] ? "; last error at " : "", r->last_error_at,
             r->last_error[0] ? " UTC: " : "", r->last_error);
}

/* The STATUS= line for a consumer state. */
static void status_text(const struct consumer *p, const struct readiness *r, enum consumer_state st,
                        const char *why, char *buf, size_t len)
{
    unsigned long long records = (unsigned long long)consumer_stats(p)->records;
    char details[400];
    status_details(r, details, sizeof(details));
    switch (st) {
    case CONSUMER_SCHEMA:
        snprintf(buf, len, "waiting: %s", why);
        break;
    case CONSUMER_DB_DOWN:
        snprintf(buf, len, "paused: PostgreSQL unavailable: %s; retrying", why);
        break;
    case CONSUMER_DB_FAILING:
        snprintf(buf, len, "paused: %s; retrying", why);
        break;
    case CONSUMER_KAFKA_DOWN:
        snprintf(buf, len, "paused: Kafka brokers unreachable: %s; retrying", why);
        break;
    case CONSUMER_UNASSIGNED:
        snprintf(buf, len, "waiting for partition assignment");
        break;
    case CONSUMER_STANDBY:
        snprintf(buf, len,
                 "standby: no partitions assigned (more group members than partitions, or "
                 "the topics do not exist yet); %llu records applied%s",
                 records, details);
        break;
    case CONSUMER_RUNNING:
        snprintf(buf, len, "consuming declarations: %llu records applied%s", records, details);
        break;
    }
}

/*
 * Before a STATUS= line: close the rate window when STATUS_REFRESH_MS passed, and remember
 * why the consumer is paused (the "last error" of the later lines).
 */
static void note_progress(const struct consumer *p, struct readiness *r, enum consumer_state st,
                          const char *why)
{
    static const char *const what[] = {[CONSUMER_SCHEMA] = "waiting: ",
                                       [CONSUMER_DB_DOWN] = "PostgreSQL unavailable: ",
                                       [CONSUMER_DB_FAILING] = "PostgreSQL failing: ",
                                       [CONSUMER_KAFKA_DOWN] = "Kafka brokers unreachable: "};
    uint64_t decls = consumer_stats(p)->declarations;
    int64_t now = now_ms();

    if (r->window_ms == 0) {
        r->window_ms = now;
        r->window_decls = decls;
    } else if (now - r->window_ms >= STATUS_REFRESH_MS) {
        r->decl_rate = (double)(decls - r->window_decls) * 1000.0 / (double)(now - r->window_ms);
        r->window_ms = now;
        r->window_decls = decls;
    }
    if ((size_t)st < ARRAY_SIZE(what) && what[st] && why && *why) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(r->last_error_at, sizeof(r->last_error_at), "%H:%M:%S", &tm);
        snprintf(r->last_error, sizeof(r->last_error), "%s%.200s", what[st], why);
    }
}

/*
 * WATCHDOG=1 (when systemd set WATCHDOG_USEC for this process) at most every quarter of the
 * watchdog period. Called only where the main loop made progress (a consumer step returned),
 * so a loop stuck in a call stops it, and systemd restarts customsd after WatchdogSec.
 */
static void watchdog_kick(struct readiness *r)
{
    if (r->watchdog_ms == 0 || now_ms() - r->watchdog_sent_ms < (int64_t)r->watchdog_ms)
        return;
    sd_notify(0, "WATCHDOG=1");
    r->watchdog_sent_ms = now_ms();
}

/*
 * Tell systemd what the consumer's state is now: READY=1 the first time it works (RUNNING
 * or STANDBY), STATUS= when the state changed (logged too) or, for the same state, when the
 * text changed and STATUS_REFRESH_MS passed since the last one.
 */
static void notify_state(const struct consumer *p, struct readiness *r)
{
    const char *why = "";
    enum consumer_state st = consumer_state(p, &why);
    char status[sizeof(r->status)];
    char msg[sizeof(r->status) + 32];

    note_progress(p, r, st, why);
    status_text(p, r, st, why, status, sizeof(status));
    bool pg_up, kafka_up;
    int partitions;
    consumer_connections(p, &pg_up, &kafka_up, &partitions);
    metrics_set_state(r->metrics, state_name(st), pg_up, kafka_up, partitions,
                      st == CONSUMER_RUNNING, status);
    bool changed = (int)st != r->state;
    if (!changed && (strcmp(status, r->status) == 0 || now_ms() - r->sent_ms < STATUS_REFRESH_MS))
        return;
    bool becomes_ready = !r->ready && (st == CONSUMER_RUNNING || st == CONSUMER_STANDBY);
    snprintf(msg, sizeof(msg), "%sSTATUS=%s", becomes_ready ? "READY=1\n" : "", status);
    sd_notify(0, msg);
    if (becomes_ready)
        log_info("ready: %s", status);
    else if (changed)
        log_info("status: %s", status);
    r->ready = r->ready || becomes_ready;
    r->state = (int)st;
    r->sent_ms = now_ms();
    memcpy(r->status, status, sizeof(r->status));
}

static void usage(FILE *out)
{
    fprintf(out, "usage: customsd [-c FILE] [-d] [-t | -T] [-V] [-h]\n"
                 "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
                 "  -d, --debug         debug logging (overrides log.level)\n"
                 "  -t, --test          check the configuration, the rules file and, if the\n"
                 "                      database answers, its schema release, then exit (0 OK,\n"
                 "                      1 configuration or rules error, 3 the database needs\n"
                 "                      migrate.sh or a newer customsd)\n"
                 "  -T, --test-offline  the same without connecting to the database\n"
                 "  -V, --version       print the version and exit\n"
                 "  -h, --help          print this help and exit\n"
                 "exit status: 0 success, 1 error, 2 usage error, 3 schema release mismatch\n"
                 "signals: TERM/INT stop gracefully, HUP reloads the rules file\n"
                 "see customsd(8), customsd.yaml(5), customsctl(1)\n");
}

/* What only the client libraries can judge in a configuration, asked of the adapters. */
static const struct config_checks adapter_checks = {
    .kafka_property = kafka_check_property,
    .conninfo = store_check_conninfo,
    .kafka_properties = kafka_check_properties,
};

/* Load the rules file named by the configuration. */
static struct rules *load_rules(const struct config *cfg, char *err, size_t errlen)
{
    struct rules *r = NULL;
    if (rules_load(cfg->rules_path, &r, err, errlen) < 0)
        return NULL;
    return r;
}

/*
 * Tell the outcome of a reload (or of the start: request 0) to `customsctl reload`, in
 * $RUNTIME_DIRECTORY/reload (reload.h), and, when READY=1 was sent, to systemd: READY=1
 * ending the RELOADING=1 with STATUS= naming the rule set live or why the reload was refused.
 */
static void reload_tell(const struct reload_outcome *o, bool ready)
{
    char dir[4096], err[1024];
    if (reload_dir(dir, sizeof(dir)) == 0 && reload_outcome_write(dir, o, err, sizeof(err)) < 0)
        log_warn("reload outcome not written: %s", err);
    if (ready)
        sd_notifyf(0, "READY=1\nSTATUS=%s rule set %s%s%s",
                   o->live ? "rules live:" : "reload refused,", o->version,
                   o->live ? "; " : " still live: ", o->message);
}

/* `ready`: READY=1 was sent, so the reload is told to systemd (RELOADING=1 ... READY=1).
 * `request`: the id customsctl reload sent with SIGHUP (0: none), answered in reload_tell. */
static void reload_rules(const struct config *cfg, struct consumer *p, struct rules **current,
                         unsigned *failures, bool ready, int request)
{
    char err[1024];
    struct reload_outcome out = {.request = request, .live = 1};

    if (ready)
        sd_notify(0, "RELOADING=1");
    struct rules *fresh = load_rules(cfg, err, sizeof(err));
    if (!fresh) {
        (*failures)++;
        out.live = 0;
        snprintf(out.message, sizeof(out.message), "%s", err);
        log_error("reload refused, keeping rule set %s: %s (%u failed reloads)",
                  rules_version(*current), err, *failures);
    } else if (strcmp(rules_version(fresh), rules_version(*current)) == 0) {
        snprintf(out.message, sizeof(out.message), "rules file unchanged");
        log_info("reload: rules file unchanged (version %s)", rules_version(fresh));
        rules_free(fresh);
    } else {
        snprintf(out.message, sizeof(out.message), "reloaded, replaces %s",
                 rules_version(*current));
        log_info("reload: rule set %s replaces %s", rules_version(fresh), rules_version(*current));
        consumer_set_rules(p, fresh);
        rules_free(*current);
        *current = fresh;
    }
    snprintf(out.version, sizeof(out.version), "%s", rules_version(*current));
    log_info("reload: configuration keys other than the rules take effect on restart");
    reload_tell(&out, ready);
}

/* What the command line asked for. */
struct options {
    const char *config_path;
    int test_only, test_db, debug;
};

/*
 * Step 1: parse the command line into *o. Returns -1 to go on, or the exit status when
 * there is nothing more to do (0 after -V or -h, 2 on a usage error).
 */
static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"debug", no_argument, NULL, 'd'},
                                             {"test", no_argument, NULL, 't'},
                                             {"test-offline", no_argument, NULL, 'T'},
                                             {"version", no_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt;

    o->config_path = DEFAULT_CONFIG;
    o->test_only = 0;
    o->test_db = 0;
    o->debug = 0;
    while ((opt = getopt_long(argc, argv, "c:dtThV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'd':
            o->debug = 1;
            break;
        case 't':
            o->test_only = 1;
            o->test_db = 1;
            break;
        case 'T':
            o->test_only = 1;
            o->test_db = 0;
            break;
        case 'V':
            printf("customsd %s\n", CUSTOMSD_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "customsd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return -1;
}

/*
 * systemd credentials: point libpq at $CREDENTIALS_DIRECTORY/pgpass (PGPASSFILE) and
 * $CREDENTIALS_DIRECTORY/pg_service.conf (PGSERVICEFILE) when they exist and the variable
 * is not set already (an explicit setting wins). Nothing is read here: libpq reads them.
 */
static void use_credentials(void)
{
    static const struct {
        const char *file, *var;
    } creds[] = {{"pgpass", "PGPASSFILE"}, {"pg_service.conf", "PGSERVICEFILE"}};
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    char path[4096];

    if (!dir || !*dir)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(creds); i++) {
        if (getenv(creds[i].var))
            continue;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, creds[i].file) >= sizeof(path))
            continue;
        if (access(path, R_OK) == 0)
            setenv(creds[i].var, path, 1);
    }
}

/*
 * Step 2: load the configuration, check it (the adapters judge the Kafka properties and
 * the connection string) and load the rules it names. Returns 0 with *cfg and *rules, or
 * -1 after printing the first error to stderr (nothing is left allocated).
 */
static int load_and_check(const char *config_path, struct config **cfg, struct rules **rules)
{
    char err[1024];

    *rules = NULL;
    if (config_load(config_path, cfg, err, sizeof(err)) < 0 ||
        config_check(*cfg, &adapter_checks, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(*cfg);
        *cfg = NULL;
        return -1;
    }
    *rules = load_rules(*cfg, err, sizeof(err));
    if (!*rules) {
        fprintf(stderr, "%s\n", err);
        config_free(*cfg);
        *cfg = NULL;
        return -1;
    }
    return 0;
}

/*
 * customsd -t: is the database at this customsd's schema release? Connects once (bounded by
 * postgresql.connect_timeout_s and statement_timeout_ms). Prints the result; returns 0 when
 * it is, or when the database does not answer (a note on stderr: nothing to judge), and
 * EXIT_SCHEMA with the error on stderr when it is at another release.
 */
static int check_schema(const struct config *cfg)
{
    const struct schema_release *want = schema_expected();
    struct store_limits limits = {cfg->pg_connect_timeout_s, cfg->pg_statement_timeout_ms,
                                  cfg->pg_lock_timeout_ms};
    struct store *s = NULL;
    char err[1024];
    int rc = store_open(cfg->pg_conninfo, &limits, cfg->topic_events, cfg->topic_receipts, &s, err,
                        sizeof(err));
    store_close(s);
    if (rc == STORE_SCHEMA) {
        fprintf(stderr, "database schema: %s\n", err);
        return EXIT_SCHEMA;
    }
    if (rc != STORE_OK) {
        err[strcspn(err, "\n")] = '\0';
        fprintf(stderr, "note: schema release not checked, the database does not answer: %s\n",
                err);
        return 0;
    }
    printf("database schema OK: migrations up to %s, sql/repeatable %.12s\n",
           want->n_migrations ? want->migrations[want->n_migrations - 1].name : "none",
           want->repeatable_sha256);
    return 0;
}

/* Step 3: log at the configured level (-d wins) and install the signal handlers. */
static void prepare_run(const struct options *o, const struct config *cfg)
{
    enum log_level level = LOG_LEVEL_INFO;
    struct sigaction sa = {0};

    if (o->debug)
        level = LOG_LEVEL_DEBUG;
    else if (cfg->log_level && log_level_parse(cfg->log_level, &level) < 0)
        level = LOG_LEVEL_INFO;
    log_init("customsd", level);

    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_flags = SA_SIGINFO; /* the request id of customsctl reload (sigqueue) */
    sa.sa_sigaction = on_reload;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/*
 * Step 4: consume until a stop signal (reloading the rules on SIGHUP). *rules may be
 * replaced by a reload. Returns 0, or 1 after a fatal Kafka error.
 */
static int run_loop(const struct config *cfg, struct consumer *p, struct rules **rules,
                    struct metrics *m, struct relay *relay)
{
    unsigned reload_failures = 0;
    struct readiness ready = {.ready = false, .state = -1, .metrics = m, .decl_rate = -1};
    uint64_t watchdog_usec = 0;

    if (sd_watchdog_enabled(0, &watchdog_usec) > 0)
        ready.watchdog_ms = watchdog_usec / 4000 > 0 ? watchdog_usec / 4000 : 1;
    metrics_set_rules(m, rules_version(*rules), reload_failures);
    notify_state(p, &ready);
    watchdog_kick(&ready);
    while (!stop_requested) {
        if (reload_requested) {
            reload_requested = 0;
            reload_rules(cfg, p, rules, &reload_failures, ready.ready, reload_id);
            metrics_set_rules(m, rules_version(*rules), reload_failures);
        }
        if (consumer_step(p) < 0) {
            log_error("stopping after a fatal Kafka error");
            return 1;
        }
        metrics_loop_iteration(m);
        if (relay) {
            struct relay_stats rs;
            relay_get_stats(relay, &rs);
            metrics_set_relay(m, rs.published, rs.failed);
        }
        notify_state(p, &ready);
        watchdog_kick(&ready);
    }
    return 0;
}

/* Step 5: log the totals, leave the group, flush the relay. Accepts NULL for either. */
static void shutdown_all(struct consumer *p, struct relay *relay)
{
    relay_request_stop(relay); /* its last round ends while the consumer leaves the group */
    if (p) {
        const struct consumer_stats *st = consumer_stats(p);
        log_info("consumer totals: %llu records in %llu batches, %llu declarations, %llu "
                 "scans, %llu duplicates, %llu conflicts, %llu quarantined (%llu refused by the "
                 "database), %llu fenced batches, %llu database failures",
                 (unsigned long long)st->records, (unsigned long long)st->batches,
                 (unsigned long long)st->declarations, (unsigned long long)st->scans,
                 (unsigned long long)st->duplicates, (unsigned long long)st->conflicts,
                 (unsigned long long)st->quarantined, (unsigned long long)st->refused,
                 (unsigned long long)st->fenced, (unsigned long long)st->db_failures);
    }
    consumer_free(p);
    if (relay) {
        struct relay_stats rs;
        relay_get_stats(relay, &rs);
        log_info("relay totals: %llu events published, %llu delivery failures",
                 (unsigned long long)rs.published, (unsigned long long)rs.failed);
    }
    relay_stop(relay, RELAY_FLUSH_MS);
}

/* Start the relay and the consumer, run until stopped, shut down. Returns the exit status. */
static int run(const struct config *cfg, struct rules **rules)
{
    struct relay *relay = NULL;
    struct consumer *p = NULL;
    struct httpd *http = NULL;
    struct metrics *m = metrics_new(CUSTOMSD_VERSION);
    bool serve = cfg->metrics_listen && cfg->metrics_listen[0];
    char err[1024];
    int rc;
    struct stop_watch watch = {.done = false, .overdue_ms = 0};
    pthread_t watcher;
    if (cfg->pg_statement_timeout_ms > 0)
        watch.overdue_ms = (int)cfg->pg_statement_timeout_ms + OVERDUE_GRACE_MS;
    bool watching = pthread_create(&watcher, NULL, stop_watch, &watch) == 0;

    if (!watching)
        log_warn("no stop watcher thread: a stop waits for the database calls in progress");

    log_info("customsd %s starting: config %s, rules %s (version %s, %zu rules)", CUSTOMSD_VERSION,
             cfg->path, cfg->rules_path, rules_version(*rules), rules_count(*rules));
    struct reload_outcome start = {.request = 0, .live = 1, .message = "loaded at start"};
    snprintf(start.version, sizeof(start.version), "%s", rules_version(*rules));
    reload_tell(&start, false);
    if (!m)
        log_warn("no metrics: out of memory");
    if ((serve && httpd_start(cfg->metrics_listen, m, &http, err, sizeof(err)) < 0) ||
        relay_start(cfg, serve ? m : NULL, &relay, err, sizeof(err)) < 0 ||
        consumer_new(cfg, *rules, &p, err, sizeof(err)) < 0) {
        log_error("%s", err);
        rc = 1;
    } else {
        if (serve)
            log_info("metrics and health: http://%s/metrics, /healthz, /readyz",
                     cfg->metrics_listen);
        consumer_set_metrics(p, m);
        rc = run_loop(cfg, p, rules, m, relay);
        sd_notify(0, "STOPPING=1");
        log_info("stopping: no new batch will start");
    }
    httpd_stop(http);
    shutdown_all(p, relay);
    metrics_free(m); /* after the relay thread and the endpoint are gone */
    if (watching) {
        atomic_store(&watch.done, true);
        pthread_join(watcher, NULL);
    }
    return rc;
}

/*
 * Blocks of MMAP_THRESHOLD_BYTES or more get mappings of their own, returned to the system
 * when freed, whatever was freed before (see "Memory" above). Before any thread starts:
 * mallopt is not for a running allocator's other threads. Unless MALLOC_MMAP_THRESHOLD_ is set.
 */
static void memory_setup(void)
{
#ifdef M_MMAP_THRESHOLD
    if (!getenv("MALLOC_MMAP_THRESHOLD_") && mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1)
        log_warn("mallopt(M_MMAP_THRESHOLD) refused: peak memory may be higher");
#endif
}

int main(int argc, char **argv)
{
    struct options o;
    struct config *cfg = NULL;
    struct rules *rules = NULL;
    int rc = parse_args(argc, argv, &o);

    if (rc >= 0)
        return rc;
    log_init("customsd", LOG_LEVEL_INFO);
    use_credentials();
    if (load_and_check(o.config_path, &cfg, &rules) < 0)
        return 1;
    if (o.test_only) {
        rc = o.test_db ? check_schema(cfg) : 0;
        if (rc == 0)
            printf("configuration OK\n");
        rules_free(rules);
        config_free(cfg);
        return rc;
    }
    memory_setup();
    prepare_run(&o, cfg);
    rc = run(cfg, &rules);
    rules_free(rules);
    config_free(cfg);
    log_info("stopped");
    return rc;
}
