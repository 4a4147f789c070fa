/*
 * ctl_db.h - what customsctl's database commands share (ctl_ops.c, ctl_summary.c,
 * ctl_whatif.c): load customsd's configuration and connect to its PostgreSQL database as
 * customsd would (its conninfo, connect and statement timeouts; application_name
 * customsctl), run a query with text parameters, print a JSON document.
 */
#ifndef CUSTOMSD_CTL_DB_H
#define CUSTOMSD_CTL_DB_H

#include <json-c/json.h>
#include <libpq-fe.h>

struct config;

/*
 * Load the configuration at `path` into *cfg and connect to its database into *db, with
 * statement_timeout = postgresql.statement_timeout_ms. Returns 0, or -1 with the reason on
 * stderr ("customsctl: ..."); what was opened is left in *cfg / *db for the caller to free
 * (config_free, PQfinish) either way.
 */
int ctl_db_open(const char *path, struct config **cfg, PGconn **db);

/*
 * Run `sql` with n text parameters (results in text, or binary when `binary`). Returns the
 * result when it has rows (PGRES_TUPLES_OK; the caller PQclears), else NULL with the first
 * line of the database's error on stderr.
 */
PGresult *ctl_db_query(PGconn *db, const char *sql, int n, const char *const *params, int binary);

/* Print a JSON document on stdout (pretty, no escaped slashes) and free it. Returns 0, or
 * -1 when o is NULL (out of memory, said on stderr). */
int ctl_db_print_json(json_object *o);

#endif
