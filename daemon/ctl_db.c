/*
 * ctl_db.c - customsctl's configuration, database connection, queries and JSON output
 * (ctl_db.h), shared by the operator commands (ctl_ops.c) and the monthly summary
 * (ctl_summary.c).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctl_db.h"

int ctl_db_open(const char *path, struct config **cfg, PGconn **db)
{
    char err[1024], timeout[16], stmt[96];
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {timeout, "customsctl", NULL, NULL};

    if (config_load(path, cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "customsctl: %s\n", err);
        return -1;
    }
    snprintf(timeout, sizeof(timeout), "%u", (*cfg)->pg_connect_timeout_s);
    vals[2] = (*cfg)->pg_conninfo;
    /* dbname expands the conninfo; what it sets wins over the defaults before it. */
    *db = PQconnectdbParams(keys, vals, 1);
    if (!*db || PQstatus(*db) != CONNECTION_OK) {
        const char *m = *db ? PQerrorMessage(*db) : "out of memory";
        fprintf(stderr, "customsctl: cannot connect to PostgreSQL: %.*s\n", (int)strcspn(m, "\n"),
                m);
        return -1;
    }
    snprintf(stmt, sizeof(stmt), "SET statement_timeout = %u", (*cfg)->pg_statement_timeout_ms);
    PQclear(PQexec(*db, stmt));
    return 0;
}

PGresult *ctl_db_query(PGconn *db, const char *sql, int n, const char *const *params, int binary)
{
    PGresult *res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, binary);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(res);
        fprintf(stderr, "customsctl: database: %.*s\n", (int)strcspn(m, "\n"), m);
        PQclear(res);
        return NULL;
    }
    return res;
}

int ctl_db_print_json(json_object *o)
{
    if (!o) {
        fprintf(stderr, "customsctl: out of memory\n");
        return -1;
    }
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return 0;
}
