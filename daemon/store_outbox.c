/*
 * store_outbox.c - the PostgreSQL adapter's calls for the outbox relay (see store.h): the
 * relay's lease (a session advisory lock), LISTEN/NOTIFY on the outbox channel, fetching
 * unpublished rows and marking delivered ones, the backlog, the alert sweep and the outbox
 * partitions' upkeep. Split from store.c, whose connection, errors and limits it shares
 * through store_int.h.
 */
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "util.h"

/* LISTEN/NOTIFY channel that apply_batch notifies once per batch that wrote outbox rows. */
#define STORE_CHANNEL "customs_outbox"

/* Session advisory lock key of the relay lease: "customsd" read as a big-endian int64. */
#define STORE_RELAY_LOCK_KEY "7166761325952856932"

/* --- outbox relay ----------------------------------------------------------------------- */

int store_relay_lock(struct store *s)
{
    char err[256];
    if (store_reconnect(s, err, sizeof(err)) != STORE_OK) {
        log_warn("outbox relay lease: %s", err);
        return STORE_ERROR;
    }
    if (s->relay_locked)
        return 1; /* session locks stack; take it once per session */
    store_busy(s, true);
    PGresult *res =
        PQexec(s->conn, "SELECT pg_try_advisory_lock(" STORE_RELAY_LOCK_KEY "::bigint)");
    store_busy(s, false);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        store_result_error(s, res, "taking the outbox relay lease", err, sizeof(err));
        log_warn("%s", err);
        PQclear(res);
        return STORE_ERROR;
    }
    s->relay_locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return s->relay_locked ? 1 : 0;
}

int store_listen(struct store *s)
{
    char err[256];
    if (store_reconnect(s, err, sizeof(err)) != STORE_OK) {
        log_warn("listening on %s: %s", STORE_CHANNEL, err);
        return STORE_ERROR;
    }
    store_busy(s, true);
    PGresult *res = PQexec(s->conn, "LISTEN " STORE_CHANNEL);
    store_busy(s, false);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        store_result_error(s, res, "LISTEN " STORE_CHANNEL, err, sizeof(err));
        log_warn("%s", err);
    }
    PQclear(res);
    return ok ? STORE_OK : STORE_ERROR;
}

/* Drop every queued notification; 1 if one was for our channel. */
static int store_drain_notifies(struct store *s)
{
    int got = 0;
    PGnotify *n;
    while ((n = PQnotifies(s->conn))) {
        if (strcmp(n->relname, STORE_CHANNEL) == 0)
            got = 1;
        PQfreemem(n);
    }
    return got;
}

int store_wait_notify(struct store *s, int timeout_ms)
{
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK)
        return STORE_ERROR;
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        /* Notifications may have arrived with an earlier query's result: look first. */
        if (!PQconsumeInput(s->conn))
            return STORE_ERROR;
        if (store_drain_notifies(s))
            return 1;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = PQsocket(s->conn), .events = POLLIN};
        if (pfd.fd < 0)
            return STORE_ERROR;
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno != EINTR)
            return STORE_ERROR;
    }
}

int store_outbox_fetch(struct store *s, size_t limit, struct outbox_event **out, size_t *n,
                       char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    char lim[32];
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *values[] = {lim};
    PGresult *res;
    if (store_exec(s, "store_outbox_fetch", 1, values, PGRES_TUPLES_OK, &res,
                   "fetching outbox events", err, errlen) != STORE_OK)
        return STORE_ERROR;
    size_t rows = (size_t)PQntuples(res);
    struct outbox_event *ev = calloc(rows ? rows : 1, sizeof(*ev));
    if (!ev)
        goto oom;
    for (size_t i = 0; i < rows; i++) {
        ev[i].id = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
        ev[i].created_us = strtoll(PQgetvalue(res, (int)i, 4), NULL, 10);
        ev[i].topic = strdup(PQgetvalue(res, (int)i, 1));
        ev[i].key = PQgetisnull(res, (int)i, 2) ? NULL : strdup(PQgetvalue(res, (int)i, 2));
        ev[i].payload = strdup(PQgetvalue(res, (int)i, 3));
        if (!ev[i].topic || !ev[i].payload || (!ev[i].key && !PQgetisnull(res, (int)i, 2))) {
            store_outbox_free(ev, i + 1);
            goto oom;
        }
    }
    PQclear(res);
    *out = ev;
    *n = rows;
    return STORE_OK;
oom:
    PQclear(res);
    store_set_error(err, errlen, "fetching outbox events", "out of memory");
    return STORE_ERROR;
}

int store_outbox_backlog(struct store *s, int64_t *rows, double *oldest_s, char *err, size_t errlen)
{
    PGresult *res;
    if (store_exec(s, "store_outbox_backlog", 0, NULL, PGRES_TUPLES_OK, &res,
                   "counting unpublished outbox events", err, errlen) != STORE_OK)
        return STORE_ERROR;
    *rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *oldest_s = strtod(PQgetvalue(res, 0, 1), NULL);
    PQclear(res);
    return STORE_OK;
}

int store_sweep_alerts(struct store *s, unsigned hours, long *raised, char *err, size_t errlen)
{
    char h[16];
    const char *values[] = {h};
    PGresult *res;
    snprintf(h, sizeof(h), "%u", hours);
    int rc = store_exec(s, "store_sweep_alerts", 1, values, PGRES_TUPLES_OK, &res,
                        "sweeping for unknown parcels", err, errlen);
    if (rc != STORE_OK)
        return rc;
    *raised = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return STORE_OK;
}

int store_outbox_maintain(struct store *s, unsigned retention_days, long *created, long *dropped,
                          long *deleted, char *err, size_t errlen)
{
    PGresult *res;
    *created = *dropped = *deleted = 0;
    int rc = store_exec(s, "store_partitions_ensure", 0, NULL, PGRES_TUPLES_OK, &res,
                        "creating the partitions ahead", err, errlen);
    if (rc != STORE_OK)
        return rc;
    *created = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (retention_days == 0)
        return STORE_OK;
    char d[16];
    const char *values[] = {d};
    snprintf(d, sizeof(d), "%u", retention_days);
    rc = store_exec(s, "store_outbox_prune", 1, values, PGRES_TUPLES_OK, &res,
                    "pruning the published outbox rows", err, errlen);
    if (rc != STORE_OK)
        return rc;
    *dropped = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    *deleted = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return STORE_OK;
}

void store_outbox_free(struct outbox_event *ev, size_t n)
{
    if (!ev)
        return;
    for (size_t i = 0; i < n; i++) {
        free(ev[i].topic);
        free(ev[i].key);
        free(ev[i].payload);
    }
    free(ev);
}

int store_outbox_mark_delivered(struct store *s, const struct outbox_event *ev, size_t n, char *err,
                                size_t errlen)
{
    if (n == 0)
        return STORE_OK;
    int64_t *ids = malloc(n * sizeof(*ids));
    if (!ids) {
        store_set_error(err, errlen, "marking outbox events published", "out of memory");
        return STORE_ERROR;
    }
    int64_t lo = ev[0].created_us, hi = ev[0].created_us;
    for (size_t i = 0; i < n; i++) {
        ids[i] = ev[i].id;
        lo = ev[i].created_us < lo ? ev[i].created_us : lo;
        hi = ev[i].created_us > hi ? ev[i].created_us : hi;
    }
    char *array = store_int_array(ids, n);
    free(ids);
    if (!array) {
        store_set_error(err, errlen, "marking outbox events published", "out of memory");
        return STORE_ERROR;
    }
    char los[32], his[32];
    snprintf(los, sizeof(los), "%" PRId64, lo);
    snprintf(his, sizeof(his), "%" PRId64, hi);
    const char *values[] = {array, los, his};
    PGresult *res;
    int rc = store_exec(s, "store_outbox_mark_range", 3, values, PGRES_COMMAND_OK, &res,
                        "marking outbox events published", err, errlen);
    free(array);
    if (rc == STORE_OK)
        PQclear(res);
    return rc;
}

/*
 * PQcancel in a thread of its own: it opens a connection to the server and waits for the
 * server to close it, with no time limit, so a server that accepts connections and never
 * answers would block the caller for as long (and the stop watcher with it, the registry
 * locked). Owns and frees `arg`, a PGcancel.
 */
