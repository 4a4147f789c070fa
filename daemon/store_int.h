/*
 * store_int.h - the PostgreSQL adapter's internals, shared by its files (store.c: the
 * connection, errors, batches, transactions; store_outbox.c: the relay's outbox calls) and
 * by nothing else: the rest of customsd sees store.h only.
 */
#ifndef CUSTOMSD_STORE_INT_H
#define CUSTOMSD_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store.h"

struct store {
    PGconn *conn;
    char *conninfo;
    char *topic_events;
    char *topic_receipts;
    struct store_limits limits;
    bool relay_locked; /* this session holds the relay advisory lock */
    bool in_txn;       /* store_begin'd: no reconnect until store_finish */
    bool sent;         /* store_apply_batch_send'd: its result is still to be read */
    /* Of the batch sent: its rows are staged by COPY, whose result is still to come
     * (apply_batch_staged not sent yet: `fences` and `group` kept for it); or the COPY
     * failed and `failed` is its result, for store_apply_batch_wait. */
    bool staging;
    char *fences;
    const char *group;
    PGresult *failed;

    /* Guarded by store_registry_lock: what store_interrupt_all needs from another thread. */
    struct store *next; /* in store_registry */
    PGcancel *cancel;   /* of conn, NULL when not connected */
    int sock;           /* PQsocket(conn), -1 when not connected */
    int64_t busy_since; /* now_ms() when the call in progress started, 0 = idle */
    int interrupted;    /* of that call: 0 no, 1 cancel sent, 2 socket shut down too */
};

/* err = "what: msg" without trailing newlines or spaces ("unknown error" for an empty msg). */
void store_set_error(char *err, size_t errlen, const char *what, const char *msg);

/* err = "what: primary message (SQLSTATE xxxxx)" from a failed result (res may be NULL),
 * or "what: " and the connection's error. */
void store_result_error(struct store *s, const PGresult *res, const char *what, char *err,
                        size_t errlen);

/* Mark the start (busy = true) or end of a blocking call, for store_interrupt_all. */
void store_busy(struct store *s, bool busy);

/* Run the prepared statement `stmt` (store.c's list) with `nparams` text values; reconnects
 * first when the connection was lost. STORE_OK with *out (the caller PQclears it) when the
 * result has status `want`; else a store code with "what: ..." in err, *out NULL. */
int store_exec(struct store *s, const char *stmt, int nparams, const char *const *values,
               ExecStatusType want, PGresult **out, const char *what, char *err, size_t errlen);

/* A PostgreSQL array literal of n integers ("{1,2,3}"), malloc'd; NULL when out of memory. */
char *store_int_array(const int64_t *v, size_t n);

#endif
